// Runs kinesalite (an in-memory Kinesis) in this process, bound to 127.0.0.1.
// start.mjs launches it in the background; tests start their own in-process.
//
// Usage: node scripts/kinesis/serve.mjs [port]   (default: $KINESIS_PORT or 4567)
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const kinesalite = require("kinesalite");

const port = Number(process.argv[2] ?? process.env.KINESIS_PORT ?? 4567);
// kinesalite's CLI binds every interface; listening here keeps it on loopback.
// A short createStreamMs makes CreateStream usable at once in local runs.
const server = kinesalite({ createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 50 });
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`kinesalite listening on http://127.0.0.1:${server.address().port}\n`);
});
server.on("error", (error) => {
  process.stderr.write(`kinesalite: ${error.message}\n`);
  process.exit(1);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
