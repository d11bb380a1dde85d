// Regenerates packages/protocol/src/gen from packages/protocol/proto with
// `buf generate` and the locally installed protoc-gen-es (no network).
//
// Usage: npm run gen:proto   (or: node scripts/gen-proto.mjs)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const pkgDir = join(repoRoot, "packages", "protocol");
const binDirs = [join(pkgDir, "node_modules", ".bin"), join(repoRoot, "node_modules", ".bin")];
const buf = binDirs.map((d) => join(d, "buf")).find((p) => existsSync(p));
if (!buf) {
  process.stderr.write("gen-proto: buf not found; run npm install at the repo root\n");
  process.exit(1);
}

const result = spawnSync(buf, ["generate"], {
  cwd: pkgDir,
  stdio: "inherit",
  env: {
    ...process.env,
    PATH: [...binDirs, process.env.PATH ?? ""].join(delimiter),
    // Keep buf from phoning home or writing caches outside the repo.
    BUF_CACHE_DIR: join(repoRoot, ".cache", "buf"),
  },
});
if (result.error) {
  process.stderr.write(`gen-proto: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? 1);
