/**
 * The seed's greeter served co-located: `eddy run` starts this file as a
 * child process (see module.yaml) and tells it where to listen in
 * EDDY_LISTEN, a Unix socket path or `host:port`. The function object is the
 * one examples/greeter embeds; only the deployment differs.
 */
import { createServer } from "node:http";
import { nodeHttpHandler } from "@eddy/sdk";
import { greeter } from "../greeter/greeter.js";

const listen = process.env["EDDY_LISTEN"];
if (listen === undefined || listen === "") {
  process.stderr.write("EDDY_LISTEN is not set: run this through `eddy run examples/colocated-greeter/module.yaml`\n");
  process.exit(2);
}

const server = createServer(nodeHttpHandler([greeter]));
// Longer than the runtime's pooled-connection idle time, so the server never closes a connection the runtime is about to reuse.
server.keepAliveTimeout = 65_000;
const tcp = /^(.+):(\d+)$/u.exec(listen);
if (tcp !== null && !listen.includes("/")) server.listen(Number(tcp[2]), tcp[1]);
else server.listen(listen);
server.on("listening", () => process.stdout.write(`greeter listening on ${listen}\n`));

// The runtime sends SIGTERM once it has drained; finish in-flight requests, then exit.
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
