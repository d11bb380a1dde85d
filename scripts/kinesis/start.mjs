// `npm run kinesis:start`: starts kinesalite on 127.0.0.1:$KINESIS_PORT (default
// 4567) in the background, records its pid in .cache/kinesis/kinesalite.pid and
// waits until it answers. `npm run kinesis:stop` stops it.
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const dir = join(root, ".cache", "kinesis");
const pidFile = join(dir, "kinesalite.pid");
const logFile = join(dir, "kinesalite.log");
const port = Number(process.env.KINESIS_PORT ?? 4567);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function answers() {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

mkdirSync(dir, { recursive: true });
if (existsSync(pidFile)) {
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    process.stdout.write(`kinesalite is already running (pid ${pid}); http://127.0.0.1:${port}\n`);
    process.exit(0);
  }
}
if (await answers()) {
  process.stderr.write(`kinesis:start: something else already listens on 127.0.0.1:${port}; set KINESIS_PORT\n`);
  process.exit(1);
}

const log = openSync(logFile, "a");
const child = spawn(process.execPath, [join(root, "scripts", "kinesis", "serve.mjs"), String(port)], {
  cwd: root,
  detached: true,
  stdio: ["ignore", log, log],
});
child.unref();
writeFileSync(pidFile, `${child.pid}\n`);

const deadline = Date.now() + 15_000;
while (Date.now() < deadline) {
  if (!alive(child.pid)) break;
  if (await answers()) {
    process.stdout.write(`kinesalite started (pid ${child.pid}) on http://127.0.0.1:${port}; log: ${logFile}\n`);
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 100));
}
process.stderr.write(`kinesis:start: kinesalite did not answer on 127.0.0.1:${port}; see ${logFile}\n`);
if (alive(child.pid)) process.kill(child.pid, "SIGTERM");
process.exit(1);
