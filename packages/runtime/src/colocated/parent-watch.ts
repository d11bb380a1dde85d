// A co-located process must not outlive its runtime, even one killed with
// SIGKILL (no exit handler runs then). Node has no prctl(PR_SET_PDEATHSIG), and
// the command is any program, so the runtime starts it through this small
// watcher: the watcher holds a pipe from the runtime on its stdin, and when
// the pipe closes (the runtime is gone, however it died) it ends its whole
// process group, the command included. It is passed to `node -e`, so it needs
// no file on disk, whether the runtime runs from sources or a build.

/** The watcher's exit code when the command cannot be spawned at all (as a shell's "command not found"). */
export const SPAWN_FAILED_EXIT = 125;

/** The watcher's source. argv: the command and its arguments. */
export const PARENT_WATCH_SOURCE = String.raw`
const { spawn } = require("node:child_process");
const [program, ...args] = process.argv.slice(1);
const env = { ...process.env };
if (env.EDDY_CHILD_NODE_OPTIONS === undefined) delete env.NODE_OPTIONS;
else env.NODE_OPTIONS = env.EDDY_CHILD_NODE_OPTIONS;
delete env.EDDY_CHILD_NODE_OPTIONS;
const child = spawn(program, args, { stdio: ["ignore", "inherit", "inherit"], env });
// Signals reach the whole group (the runtime signals it); the watcher leaves with the command.
process.on("SIGTERM", () => {});
process.on("SIGINT", () => {});
child.on("error", (error) => {
  process.stderr.write("spawn failed: " + error.message + "\n");
  process.exit(125);
});
child.on("exit", (code, signal) => {
  if (signal !== null) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
process.stdin.on("data", () => {});
process.stdin.on("close", () => {
  try { process.kill(-process.pid, "SIGTERM"); } catch {}
  setTimeout(() => { try { process.kill(-process.pid, "SIGKILL"); } catch {} }, 5000).unref();
});
`;
