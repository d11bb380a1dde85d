// Preloaded with --import: prints, at exit, every module URL the process resolved (one per line).
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";

const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on("message", (url) => seen.push(url));
port1.unref();
register("./record-loads-hooks.mjs", import.meta.url, { data: { port: port2 }, transferList: [port2] });
process.on("exit", () => process.stdout.write(`${seen.join("\n")}\n`));
