import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

const repo = new URL("../../", import.meta.url).pathname;

/**
 * The folders of each package from the bottom up (docs/architecture.md, "Layers"). A file may
 * import from its own folder and from folders of lower layers only, so the message and commit
 * types the runtime, the store and the I/O share (`model/`) sit below all three, and nothing low
 * reaches up into what is built on it. Files directly in `src/` (the entry points) are the top.
 */
const LAYERS: Record<string, readonly (readonly string[])[]> = {
  "packages/runtime/src": [
    ["log", "config", "model", "retry"],
    ["store", "io", "observability"],
    ["runtime"],
    ["remote"],
    ["colocated", "cluster"],
    ["app"],
    ["admin", "scaffold"],
    ["cli"],
  ],
  "packages/sdk/src": [["core"], ["types"], ["function"], ["egress", "module", "remote"]],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gen" ? [] : sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The folder directly under `src` a file lives in, or "" for an entry point in `src` itself. */
function folderOf(src: string, file: string): string {
  const parts = relative(src, file).split(sep);
  return parts.length === 1 ? "" : parts[0]!;
}

/** Relative imports, re-exports and dynamic imports, read by TypeScript's scanner (not inside strings or comments). */
function relativeImports(file: string): string[] {
  return ts
    .preProcessFile(readFileSync(file, "utf8"), true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((name) => name.startsWith("."));
}

describe("layers: every package's folders import one way, downwards", () => {
  for (const [pkg, layers] of Object.entries(LAYERS)) {
    it(`${pkg}: no folder imports from its own layer's neighbours or from above`, () => {
      const src = join(repo, pkg);
      const rank = new Map<string, number>(layers.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
      const top = layers.length;
      const violations: string[] = [];
      const folders = new Set<string>();
      for (const file of sourceFiles(src)) {
        const from = folderOf(src, file);
        folders.add(from);
        for (const spec of relativeImports(file)) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(src + sep)) continue;
          const to = folderOf(src, target);
          if (to === from) continue;
          const fromRank = from === "" ? top : rank.get(from);
          const toRank = to === "" ? top : rank.get(to);
          if (fromRank === undefined || toRank === undefined || toRank >= fromRank) {
            violations.push(`${relative(repo, file)} imports ${spec}: ${from || "an entry point"} may not import from ${to || "an entry point"}`);
          }
        }
      }
      const unlisted = [...folders].filter((f) => f !== "" && !rank.has(f));
      assert.deepEqual(unlisted, [], `folders missing from the layer table in test/project/layers.test.ts (and docs/architecture.md): ${unlisted.join(", ")}`);
      assert.deepEqual(violations, [], violations.join("\n"));
    });
  }
});
