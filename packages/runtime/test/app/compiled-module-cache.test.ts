/**
 * An embedded ES-module TypeScript module is compiled once (esbuild) and kept
 * in the project's node_modules/.cache/eddy, keyed by the content of its
 * sources; a start with nothing changed imports the cached JavaScript. A
 * module whose meaning depends on where its file is (import.meta) or that is
 * not an ES module loads through tsx, as before.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { address, Types } from "@eddy/sdk";
import { buildRuntime, parseModuleYaml, silentLogger } from "@eddy/runtime";

const sdk = new URL("../../../sdk", import.meta.url).pathname;

/** A project folder with `package.json` (of `type`) and @eddy/sdk installed (linked to this repository's). */
function project(type: "module" | "commonjs", files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "eddy-compiled-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "probe", private: true, type }));
  mkdirSync(join(dir, "node_modules", "@eddy"), { recursive: true });
  symlinkSync(sdk, join(dir, "node_modules", "@eddy", "sdk"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const cacheDir = (dir: string) => join(dir, "node_modules", ".cache", "eddy");
const cached = (dir: string): string[] => {
  try {
    return readdirSync(cacheDir(dir)).sort();
  } catch {
    return [];
  }
};

const FUNCTIONS_TS = [
  'import { defineFunction, Types } from "@eddy/sdk";',
  'import { greeting } from "./greeting.js";',
  "export const probe = defineFunction({",
  '  typename: "test/compiled",',
  "  state: { last: Types.string },",
  "  fn(ctx) {",
  "    ctx.storage.last = greeting(ctx.self.id);",
  "  },",
  "});",
  "(globalThis as { compiledProbeStack?: string }).compiledProbeStack = new Error(\"probe\").stack;",
  "",
].join("\n");

const greetingTs = (word: string) => `export function greeting(name: string): string {\n  return \`${word} \${name}\`;\n}\n`;

/** Builds and runs the module's runtime, sends one message to test/compiled/a, and returns the state it wrote. */
async function lastGreeting(moduleFile: string): Promise<string | undefined> {
  const yaml = ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: test/compiled", `  module: ${moduleFile}`].join("\n");
  const runtime = await buildRuntime(parseModuleYaml(yaml, "module.yaml"), { logger: silentLogger() });
  await runtime.start();
  try {
    await runtime.send(address("test/compiled", "a"), { typename: Types.string.typename, value: Types.string.serialize("hi") });
    await runtime.idle();
    const value = runtime.readState(address("test/compiled", "a")).find((e) => e.name === "last")?.value;
    return value === undefined ? undefined : Types.string.deserialize(value.value ?? new Uint8Array(0));
  } finally {
    await runtime.stop();
  }
}

describe("an embedded ES-module TypeScript module", () => {
  it("is compiled once with the .ts files it imports, served from the cache while nothing changes, and compiled again when a source does", async () => {
    const dir = project("module", { "functions.ts": FUNCTIONS_TS, "greeting.ts": greetingTs("Hello") });
    const moduleFile = join(dir, "functions.ts");
    assert.equal(await lastGreeting(moduleFile), "Hello a");
    const first = cached(dir);
    assert.equal(first.filter((f) => f.endsWith(".mjs")).length, 1, `one compiled file (${first.join(", ")})`);
    assert.equal(first.filter((f) => f.endsWith(".json")).length, 1, "and its manifest");
    const compiled = join(cacheDir(dir), first.find((f) => f.endsWith(".mjs"))!);
    const written = statSync(compiled).mtimeMs;

    assert.equal(await lastGreeting(moduleFile), "Hello a");
    assert.deepEqual(cached(dir), first, "nothing compiled again");
    assert.equal(statSync(compiled).mtimeMs, written);

    writeFileSync(join(dir, "greeting.ts"), greetingTs("Welcome"));
    assert.equal(await lastGreeting(moduleFile), "Welcome a", "an imported file changed: compiled again");
    const second = cached(dir);
    assert.equal(second.filter((f) => f.endsWith(".mjs")).length, 1, "the outdated compiled file is gone");
    assert.notDeepEqual(second, first);
  });

  it("keeps stack traces pointing at the TypeScript source lines", async () => {
    const dir = project("module", { "functions.ts": FUNCTIONS_TS, "greeting.ts": greetingTs("Hi") });
    await lastGreeting(join(dir, "functions.ts"));
    const stack = (globalThis as { compiledProbeStack?: string }).compiledProbeStack ?? "";
    assert.match(stack, new RegExp(`${join(dir, "functions.ts").replace(/[.*+?^${}()|[\]\\/]/gu, "\\$&")}:10:`), stack);
  });

  it("leaves a module that reads import.meta.url, and one that is not an ES module, to tsx: nothing is cached and each sees itself", async () => {
    const meta = project("module", {
      "functions.ts": FUNCTIONS_TS.replace("new Error(\"probe\").stack", "import.meta.url"),
      "greeting.ts": greetingTs("Hello"),
    });
    assert.equal(await lastGreeting(join(meta, "functions.ts")), "Hello a");
    // Its own file (tsx adds a query naming its loader's namespace), not a compiled copy elsewhere.
    const seen = new URL((globalThis as { compiledProbeStack?: string }).compiledProbeStack ?? "about:blank");
    assert.equal(`${seen.protocol}//${seen.pathname}`, pathToFileURL(join(meta, "functions.ts")).href);
    assert.deepEqual(cached(meta), []);

    const commonjs = project("commonjs", { "functions.ts": FUNCTIONS_TS, "greeting.ts": greetingTs("Hello") });
    assert.equal(await lastGreeting(join(commonjs, "functions.ts")), "Hello a");
    assert.deepEqual(cached(commonjs), []);
  });
});
