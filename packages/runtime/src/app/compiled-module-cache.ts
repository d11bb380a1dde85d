import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import { nearestDirectory, nearestPackage } from "./nearest-file.js";

/**
 * An embedded TypeScript module compiled once to JavaScript and kept, by the
 * content of everything that went into it, in `node_modules/.cache/eddy/`
 * next to the module's packages. A start with nothing changed then imports
 * plain JavaScript natively: no tsx module hooks, whose thread is most of
 * what `eddy run` spends before it is ready (docs/performance.md).
 *
 * Only modules this gives exactly the same meaning are compiled: ES module
 * sources (`.mts`, or `.ts` under `"type": "module"`, and the ES-module
 * JavaScript and JSON they import) that all resolve packages from the same
 * `node_modules` as the cache file does, and use nothing that depends on
 * where a file is (`import.meta`, `import()`, `require`, `__dirname`,
 * `__filename`) nor tsconfig `paths` or `baseUrl`. Anything else returns undefined and
 * goes through tsx as before.
 */

/** Bumped whenever what is written here changes; older entries are then never used. */
const CACHE_FORMAT = 1;

interface CacheManifest {
  readonly format: number;
  /** Every file the output depends on: sources, and the tsconfig.json and package.json files that apply to them. */
  readonly inputs: readonly string[];
  readonly hash: string;
  /** The compiled file, in the cache folder. */
  readonly output: string;
}

/** Source text that means something different once the file is bundled elsewhere. */
const LOCATION_DEPENDENT = /\bimport\s*\.\s*meta\b|\bimport\s*\(|\brequire\s*\(|\b__dirname\b|\b__filename\b/u;

const LOADERS: Readonly<Record<string, Esbuild.Loader>> = {
  ".ts": "ts",
  ".mts": "ts",
  ".tsx": "tsx",
  ".js": "js",
  ".mjs": "js",
  ".jsx": "jsx",
  ".json": "json",
};

/** Why a module is left to tsx (thrown inside, caught below). */
class NotCompilable extends Error {}

/** The folder holding the `node_modules` that bare imports from `dir` resolve from first. */
function packagesRoot(dir: string): string | undefined {
  return nearestDirectory(dir, (d) => existsSync(join(d, "node_modules")) && statSync(join(d, "node_modules")).isDirectory());
}

/** The tsconfig.json tsx compiles with: the nearest one above the working directory. */
function tsxTsconfig(): string | undefined {
  const dir = nearestDirectory(process.cwd(), (d) => existsSync(join(d, "tsconfig.json")));
  return dir === undefined ? undefined : join(dir, "tsconfig.json");
}

/** A tsconfig.json and the local files it extends. */
function tsconfigChain(first: string | undefined): string[] {
  let file = first;
  const chain: string[] = [];
  while (file !== undefined && !chain.includes(file) && existsSync(file)) {
    chain.push(file);
    const text = readFileSync(file, "utf8");
    if (/"(paths|baseUrl)"\s*:/u.test(text)) throw new NotCompilable(`${file} maps import paths`);
    const extended = /"extends"\s*:\s*"(\.[^"]+)"/u.exec(text)?.[1];
    file = extended === undefined ? undefined : resolve(dirname(file), extended.endsWith(".json") ? extended : `${extended}.json`);
  }
  return chain;
}

function hashOf(files: readonly string[]): string {
  const hash = createHash("sha256");
  hash.update(`${CACHE_FORMAT}\0${process.version}\0`);
  for (const file of files) {
    hash.update(file);
    hash.update("\0");
    hash.update(existsSync(file) ? readFileSync(file) : "(missing)");
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Where the esbuild tsx compiles with is (a dependency of tsx, so always installed with it). */
function esbuildFrom(): NodeJS.Require {
  return createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
}

/** Writes a file whole or not at all (another `eddy run` may read it at the same time). */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/**
 * The URL of the module compiled to JavaScript (from the cache, or compiled
 * now and cached), or undefined when it must load through tsx.
 */
export async function compiledModuleUrl(entry: string): Promise<string | undefined> {
  // tsx's own tsconfig choice, which this would have to follow.
  if (process.env["TSX_TSCONFIG_PATH"] !== undefined) return undefined;
  const root = packagesRoot(dirname(entry));
  if (root === undefined) return undefined;
  const cacheDir = join(root, "node_modules", ".cache", "eddy");
  const tsconfig = tsxTsconfig();
  const key = createHash("sha256").update(`${entry}\0${tsconfig ?? ""}`).digest("hex").slice(0, 16);
  const manifestFile = join(cacheDir, `${key}.json`);
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as CacheManifest;
    if (manifest.format === CACHE_FORMAT && existsSync(join(cacheDir, manifest.output)) && hashOf(manifest.inputs) === manifest.hash) {
      return pathToFileURL(join(cacheDir, manifest.output)).href;
    }
  } catch {
    // No entry yet, or an unreadable one: compile.
  }
  try {
    mkdirSync(cacheDir, { recursive: true });
    return await compile(entry, root, tsconfig, { cacheDir, key, manifestFile });
  } catch {
    // Not compilable this way, or the cache cannot be written: tsx loads it as before, and reports its errors.
    return undefined;
  }
}

interface CacheEntry {
  readonly cacheDir: string;
  readonly key: string;
  readonly manifestFile: string;
}

async function compile(entry: string, root: string, tsconfig: string | undefined, { cacheDir, key, manifestFile }: CacheEntry): Promise<string> {
  // Its package.json is an input too: another esbuild version compiles anew.
  const configs = new Set([...tsconfigChain(tsconfig), esbuildFrom().resolve("esbuild/package.json")]);
  const esbuild = (await import(pathToFileURL(esbuildFrom().resolve("esbuild")).href)) as typeof Esbuild;
  const sources: string[] = [];
  const checkSource: Esbuild.Plugin = {
    name: "eddy-compilable",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        // Packages and built-ins stay imports, resolved by Node from the cache file as from the module.
        if (args.kind !== "entry-point" && !/^(\.{1,2}(\/|$)|\/)/u.test(args.path)) return { path: args.path, external: true };
        return undefined;
      });
      build.onLoad({ filter: /.*/ }, (args) => {
        const loader = LOADERS[extname(args.path)];
        if (loader === undefined) throw new NotCompilable(`${args.path}: not a source esbuild compiles the way tsx does`);
        if (args.path.split(sep).includes("node_modules")) throw new NotCompilable(`${args.path} is inside node_modules`);
        if (packagesRoot(dirname(args.path)) !== root) throw new NotCompilable(`${args.path} resolves packages from another node_modules`);
        if (loader !== "json" && !args.path.endsWith(".mts") && !args.path.endsWith(".mjs") && nearestPackage(args.path).type !== "module") {
          throw new NotCompilable(`${args.path} is not an ES module`);
        }
        const contents = readFileSync(args.path, "utf8");
        if (loader !== "json" && LOCATION_DEPENDENT.test(contents)) throw new NotCompilable(`${args.path} depends on its own location`);
        sources.push(args.path);
        return { contents, loader };
      });
    },
  };
  const outfile = join(cacheDir, `${key}.mjs`);
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: `node${process.versions.node.split(".")[0]}`,
    sourcemap: "inline",
    outfile,
    logLevel: "silent",
    // As tsx: the working directory's tsconfig for every file, or none.
    ...(tsconfig === undefined ? { tsconfigRaw: "{}" } : { tsconfig }),
    plugins: [checkSource],
  });
  for (const source of sources) {
    const manifest = nearestPackage(source).file;
    if (manifest !== undefined) configs.add(manifest);
  }
  const inputs = [...sources.sort(), ...[...configs].sort()];
  const hash = hashOf(inputs);
  const output = `${key}-${hash.slice(0, 16)}.mjs`;
  const previous = readPreviousOutput(manifestFile);
  writeAtomically(join(cacheDir, output), result.outputFiles[0]!.text);
  writeAtomically(manifestFile, JSON.stringify({ format: CACHE_FORMAT, inputs, hash, output } satisfies CacheManifest));
  if (previous !== undefined && previous !== output) rmSync(join(cacheDir, previous), { force: true });
  return pathToFileURL(join(cacheDir, output)).href;
}

function readPreviousOutput(manifestFile: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifestFile, "utf8")) as CacheManifest).output;
  } catch {
    return undefined;
  }
}
