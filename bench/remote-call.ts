/**
 * (c0) The runtime's own CPU per remote call, without a function's work: a
 * remote invoker (`remoteInvoker`, the code every remote batch goes through:
 * ToFunction encoding, the HTTP attempt, FromFunction decoding) calling a
 * plain node:http server in another process that answers every POST with the
 * same FromFunction (one state mutation, one egress record). 16 calls in
 * flight; the figure is this process's CPU time per call, steadier than a rate
 * on a shared machine.
 */
import { address, encodeBatchOutcome, PLAYGROUND_EGRESS_ID, Types } from "@eddy/sdk";
import type { BatchOutcome, InvocationBatch } from "@eddy/sdk";
import { EndpointPools, remoteInvoker, silentLogger } from "@eddy/runtime";
import { startServer } from "./bench-processes.js";

export interface RemoteCallResult {
  readonly calls: number;
  readonly callsPerSecond: number;
  /** This process's CPU time (user + system) per call, in microseconds. */
  readonly cpuUsPerCall: number;
}

const IN_FLIGHT = 16;

function fixedAnswerServer(answer: Uint8Array): string {
  return `
const answer = Buffer.from(${JSON.stringify(Buffer.from(answer).toString("base64"))}, "base64");
const server = require("node:http").createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log("READY " + server.address().port));
process.on("SIGTERM", () => process.exit(0));
`;
}

export async function benchRemoteCall(calls: number): Promise<RemoteCallResult> {
  const outcome: BatchOutcome = {
    kind: "completed",
    effects: {
      mutations: [{ kind: "modify", name: "seen", value: { typename: Types.int.typename, value: Types.int.serialize(7) } }],
      messages: [],
      delayed: [],
      egress: [{ egress: PLAYGROUND_EGRESS_ID, argument: { typename: "io.statefun.playground/EgressRecord", value: new TextEncoder().encode('{"topic":"greetings","payload":"Hello key-7 #7"}') } }],
    },
  };
  const server = await startServer(["-e", fixedAnswerServer(encodeBatchOutcome(outcome))], { ready: /READY (\d+)/u });
  const pools = new EndpointPools();
  try {
    const port = Number(/READY (\d+)/u.exec(server.output)?.[1]);
    const invoker = remoteInvoker({ functionType: "bench/fixed", url: `http://127.0.0.1:${port}/statefun`, transport: { type: "async" }, pools, logger: silentLogger() });
    const batch = (k: number): InvocationBatch => ({
      target: address("bench/fixed", `key-${k}`),
      states: [{ name: "seen", value: { typename: Types.int.typename, value: Types.int.serialize(k) } }],
      invocations: [{ caller: undefined, argument: { typename: "example/GreetRequest", value: new TextEncoder().encode(`{"name":"key-${k}"}`) } }],
    });
    const run = async (n: number): Promise<void> => {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async (_, w) => {
          for (let i = w; i < n; i += IN_FLIGHT) await invoker.invoke(batch(i % 1000));
        }),
      );
    };
    await run(Math.min(2_000, calls)); // warm-up: JIT, connections
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    await run(calls);
    const cpu = process.cpuUsage(cpuStart);
    const seconds = (performance.now() - started) / 1000;
    return { calls, callsPerSecond: calls / seconds, cpuUsPerCall: (cpu.user + cpu.system) / calls };
  } finally {
    await pools.close();
    await server.stop();
  }
}
