import { randomUUID } from "node:crypto";
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { EddyError, isEddyModule, isStatefulFunction } from "@eddy/sdk";
import type { EddyModule, StatefulFunction } from "@eddy/sdk";
import { compiledModuleUrl } from "./compiled-module-cache.js";
import { nearestPackage } from "./nearest-file.js";

export interface LoadedEmbeddedModule {
  readonly functions: StatefulFunction[];
  readonly modules: EddyModule[];
}

/**
 * Node 20 cannot load TypeScript by itself. tsx's scoped `tsImport` compiles
 * the module and everything it imports, as ESM or CommonJS by the user's own
 * package.json (a global `register()` handles only ESM, and a `.ts` file of a
 * project without `"type": "module"` then fails as a require() cycle). A
 * `.js` file of a CommonJS project goes through tsx too, so it may use
 * `import` as well as `require`; ESM JavaScript (`.mjs`, or `.js` under
 * `"type": "module"`) and `.cjs` load natively, without tsx. ES module
 * TypeScript is compiled once and cached where it can be without changing
 * its meaning (compiled-module-cache.ts), and then loads natively too.
 */
async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  const native = /\.(mjs|cjs)$/.test(path) || (path.endsWith(".js") && nearestPackage(path).type === "module");
  if (native) return (await import(url)) as Record<string, unknown>;
  if (/\.(m?ts|tsx)$/u.test(path)) {
    const compiled = await compiledModuleUrl(path);
    if (compiled !== undefined) {
      // Stack traces point into the TypeScript sources, as they do through tsx.
      process.setSourceMapsEnabled(true);
      return (await import(compiled)) as Record<string, unknown>;
    }
  }
  const [{ register: registerEsm, tsImport }, { register: registerCjs }] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
  if (path.endsWith(".cts")) return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  // What tsImport does (a scoped CommonJS and ESM registration under one
  // namespace), with the hook below registered after tsx's: hooks registered
  // later run first, so it sees the namespace tsx's resolve added.
  const namespace = randomUUID();
  registerCjs({ namespace });
  const scoped = registerEsm({ namespace });
  shareRuntimePackages();
  return (await scoped.import(url, import.meta.url)) as Record<string, unknown>;
}

/**
 * Packages the runtime itself has loaded, which a module imported through tsx
 * would otherwise load a second time, every file through tsx's hooks thread
 * (a third of the CPU time of `eddy run` for the greeter before it is ready;
 * docs/performance.md).
 */
const SHARED_PACKAGES = ["@eddy/sdk", "@eddy/protocol", "@bufbuild/protobuf"];

/**
 * A resolve hook that runs before tsx's: a bare import of a shared package
 * still resolves from the importing file (the user's own copy, if it has one),
 * but when that is a JavaScript file, without tsx's namespace: Node loads it
 * natively, and where it is the file the runtime has loaded, the module
 * shares the runtime's instance. TypeScript sources (the `eddy-source`
 * condition) keep the namespace, so tsx compiles them.
 */
const SHARED_PACKAGES_HOOK = `
const shared = ${JSON.stringify(SHARED_PACKAGES)};
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (!shared.some((p) => specifier === p || specifier.startsWith(p + "/")) || !result.url.startsWith("file:")) return result;
  const url = new URL(result.url);
  if (!url.searchParams.has("tsx-namespace") || /\\.[cm]?tsx?$/u.test(url.pathname)) return result;
  url.searchParams.delete("tsx-namespace");
  return { ...result, url: url.href };
}`;

/** Registered after each tsx registration, so it runs before that one's resolve. */
function shareRuntimePackages(): void {
  register(`data:text/javascript,${encodeURIComponent(SHARED_PACKAGES_HOOK)}`);
}

/** Node's code for an import it could not resolve (a package not installed where the module lives). */
function isModuleNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND";
}

/**
 * Imports the file an `io.eddy.functions.v1/embedded` component names and
 * collects what it exports: function definitions (`defineFunction`) and
 * modules (`defineModule`). With `exportName`, only that export is used.
 */
export async function loadEmbeddedModule(path: string, exportName: string | undefined, where: string): Promise<LoadedEmbeddedModule> {
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(path);
  } catch (cause) {
    const hint = isModuleNotFound(cause)
      ? " (packages are resolved from the module's own folder: run `npm install` in its project, e.g. `npm install @eddy/sdk`)"
      : "";
    throw new EddyError(
      "EDDY_CONFIG_INVALID",
      `${where}: cannot load embedded functions from ${path}: ${cause instanceof Error ? cause.message : String(cause)}${hint}`,
      { cause },
    );
  }
  const candidates: [string, unknown][] =
    exportName === undefined ? Object.entries(exports) : [[exportName, exports[exportName]]];
  if (exportName !== undefined && !(exportName in exports)) {
    throw new EddyError(
      "EDDY_CONFIG_INVALID",
      `${where}: ${path} has no export "${exportName}" (it exports: ${Object.keys(exports).join(", ") || "nothing"})`,
    );
  }
  const functions: StatefulFunction[] = [];
  const modules: EddyModule[] = [];
  for (const [, value] of candidates) {
    if (isStatefulFunction(value)) functions.push(value);
    else if (isEddyModule(value)) modules.push(value);
    else if (Array.isArray(value)) functions.push(...value.filter(isStatefulFunction));
  }
  return { functions, modules };
}
