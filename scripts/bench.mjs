// Runs the benchmarks from their TypeScript sources (see bench/main.ts).
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const result = spawnSync(process.execPath, ["--conditions=eddy-source", "--import", "tsx", "bench/main.ts"], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
