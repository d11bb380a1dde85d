// Compiles the workspace packages in dependency order (protocol → sdk → runtime).
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

const order = ["protocol", "sdk", "runtime"];
const tsc = new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname;
for (const name of order) {
  const dir = new URL(`../packages/${name}/`, import.meta.url).pathname;
  rmSync(`${dir}dist`, { recursive: true, force: true });
  process.stdout.write(`build: packages/${name}\n`);
  try {
    execFileSync(process.execPath, [tsc, "-p", `${dir}tsconfig.json`], { stdio: "inherit" });
  } catch {
    process.stderr.write(`build: packages/${name} failed to compile; run \`npm run typecheck\` for the full list of errors.\n`);
    process.exit(1);
  }
}
