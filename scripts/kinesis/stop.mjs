// `npm run kinesis:stop`: stops the kinesalite that `npm run kinesis:start`
// started, by the pid it recorded (never by process name).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const pidFile = join(root, ".cache", "kinesis", "kinesalite.pid");

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(pidFile)) {
  process.stdout.write("kinesalite is not running (no pid file)\n");
  process.exit(0);
}
const pid = Number(readFileSync(pidFile, "utf8").trim());
if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
  rmSync(pidFile, { force: true });
  process.stdout.write("kinesalite is not running (stale pid file removed)\n");
  process.exit(0);
}
process.kill(pid, "SIGTERM");
const deadline = Date.now() + 5_000;
while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
if (alive(pid)) process.kill(pid, "SIGKILL");
rmSync(pidFile, { force: true });
process.stdout.write(`kinesalite stopped (pid ${pid})\n`);
