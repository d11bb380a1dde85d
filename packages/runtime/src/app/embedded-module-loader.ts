import { pathToFileURL } from "node:url";
import { EddyError, isEddyModule, isStatefulFunction } from "@eddy/sdk";
import type { EddyModule, StatefulFunction } from "@eddy/sdk";

export interface LoadedEmbeddedModule {
  readonly functions: StatefulFunction[];
  readonly modules: EddyModule[];
}

let typeScriptLoader: Promise<void> | undefined;

/**
 * Node 20 cannot load TypeScript by itself, so the first `.ts` module bound by
 * a module file registers tsx's loader; JavaScript modules never pay for it.
 */
function ensureTypeScriptLoader(): Promise<void> {
  typeScriptLoader ??= import("tsx/esm/api").then(({ register }) => {
    register();
  });
  return typeScriptLoader;
}

/**
 * Imports the file an `io.eddy.functions.v1/embedded` component names and
 * collects what it exports: function definitions (`defineFunction`) and
 * modules (`defineModule`). With `exportName`, only that export is used.
 */
export async function loadEmbeddedModule(path: string, exportName: string | undefined, where: string): Promise<LoadedEmbeddedModule> {
  if (/\.(c|m)?tsx?$/.test(path)) await ensureTypeScriptLoader();
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new EddyError(
      "EDDY_CONFIG_INVALID",
      `${where}: cannot load embedded functions from ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
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
