/**
 * The cluster tests' pipeline functions (pipeline-fns.ts) served over HTTP as
 * a co-located process: `eddy run` starts this file and says where to listen
 * in EDDY_LISTEN (a Unix socket path or host:port).
 */
import { createServer } from "node:http";
import { nodeHttpHandler } from "@eddy/sdk";
import { counter, emit, relay } from "./pipeline-fns.js";

const listen = process.env["EDDY_LISTEN"];
if (listen === undefined || listen === "") {
  process.stderr.write("EDDY_LISTEN is not set: this file is started by eddy run as a co-located process\n");
  process.exit(2);
}
const server = createServer(nodeHttpHandler([counter, relay, emit]));
server.keepAliveTimeout = 65_000;
const tcp = /^(.+):(\d+)$/u.exec(listen);
if (tcp !== null && !listen.includes("/")) server.listen(Number(tcp[2]), tcp[1]);
else server.listen(listen);
server.on("listening", () => process.stdout.write(`pipeline functions listening on ${listen}\n`));
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
