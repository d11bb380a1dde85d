/**
 * The seed's greeter served remotely over StateFun's request-reply protocol,
 * the way a function service runs on another host: start it yourself, then
 * point module.yaml's endpoint at it. The function object is the one
 * examples/greeter embeds.
 *
 *   node --import tsx examples/remote-greeter/functions.ts   (PORT, default 8000; HOST, default 127.0.0.1)
 */
import { createServer } from "node:http";
import { nodeHttpHandler } from "@eddy/sdk";
import { greeter } from "../greeter/greeter.js";

const port = Number(process.env["PORT"] ?? "8000");
const host = process.env["HOST"] ?? "127.0.0.1";

const server = createServer(nodeHttpHandler([greeter]));
// Longer than the runtime's pooled-connection idle time, so the server never closes a connection the runtime is about to reuse.
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => process.stdout.write(`greeter functions on http://${host}:${port}/statefun\n`));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
