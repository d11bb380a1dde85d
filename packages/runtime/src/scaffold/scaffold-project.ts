import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { EddyError } from "@eddy/sdk";
import { GITIGNORE, GREETER_TEST_TS, GREETER_TS, MODULE_YAML, TSCONFIG, packageJson, readme } from "./project-files.js";
import type { ProjectDependencies } from "./project-files.js";

const EDDY_PACKAGES = ["@eddy/protocol", "@eddy/sdk", "@eddy/runtime", "@eddy/testing"] as const;

interface RuntimeManifest {
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly engines: { readonly node: string };
}

function runtimeManifest(): RuntimeManifest {
  return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as RuntimeManifest;
}

/** The dependency specs: this Eddy's version, or the tarballs `npm run pack` wrote to `packsDir`. */
function dependencies(packsDir: string | undefined): ProjectDependencies {
  const manifest = runtimeManifest();
  const eddy = {} as Record<(typeof EDDY_PACKAGES)[number], string>;
  for (const name of EDDY_PACKAGES) {
    if (packsDir === undefined) {
      eddy[name] = manifest.version;
      continue;
    }
    const file = join(resolve(packsDir), `eddy-${name.slice("@eddy/".length)}-${manifest.version}.tgz`);
    if (!existsSync(file)) {
      throw new EddyError(
        "EDDY_CONFIG_INVALID",
        `--from ${packsDir}: ${file} is missing; run \`npm run pack\` in the Eddy repository (it writes packs/), then pass that folder`,
      );
    }
    eddy[name] = `file:${file}`;
  }
  return { eddy, tsx: manifest.dependencies["tsx"] ?? "4.23.15", node: manifest.engines.node };
}

/**
 * Writes a new project into `dir` (created if missing; refused when it holds
 * anything). Returns the files written, relative to `dir`.
 */
export function scaffoldProject(dir: string, options: { packsDir?: string } = {}): string[] {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new EddyError("EDDY_CONFIG_INVALID", `${dir} is not empty; eddy init writes a new project only into an empty or new directory`);
  }
  const deps = dependencies(options.packsDir);
  const name = basename(target).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "") || "eddy-app";
  const files: Record<string, string> = {
    "package.json": packageJson(name, deps),
    "module.yaml": MODULE_YAML,
    "src/greeter.ts": GREETER_TS,
    "test/greeter.test.ts": GREETER_TEST_TS,
    "README.md": readme(name),
    "tsconfig.json": TSCONFIG,
    ".gitignore": GITIGNORE,
  };
  for (const [path, text] of Object.entries(files)) {
    const full = join(target, path);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, text);
  }
  return Object.keys(files);
}
