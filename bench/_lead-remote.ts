import { benchJsSdkRemote } from "./greeter-remote.js";
const r = await benchJsSdkRemote(1000, 64, 8000);
console.log(JSON.stringify({ mps: Math.round(r.messagesPerSecond), batch: r.meanBatchSize, rtCpu: r.runtimeCpuUsPerMessage, fnCpu: r.functionServerCpuUsPerMessage, rpm: r.requestsPerMessage }));
