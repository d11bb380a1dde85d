// Installs the browser the console's tests drive: Debian's `chromium` package,
// only when /usr/bin/chromium is missing (CI runs as root with Debian's
// packages reachable). playwright-core (a pinned devDependency) drives it; no
// browser build is downloaded from anywhere else.
//
// Usage: node scripts/browser/install.mjs
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";

function run(command, args) {
  process.stdout.write(`[browser] ${command} ${args.join(" ")}\n`);
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return result.status === 0;
}

export function installChromium() {
  if (existsSync(CHROMIUM)) return true;
  if (process.getuid?.() !== 0) {
    process.stderr.write(`[browser] ${CHROMIUM} is missing and installing it needs root: run \`sudo apt-get install -y chromium\`, then rerun the tests.\n`);
    return false;
  }
  if (!run("apt-get", ["update"]) || !run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"])) {
    process.stderr.write("[browser] apt-get could not install chromium; check that Debian's package mirrors are reachable, then rerun.\n");
    return false;
  }
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`[browser] the chromium package installed, but ${CHROMIUM} is not there.\n`);
    return false;
  }
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit(installChromium() ? 0 : 1);
}
