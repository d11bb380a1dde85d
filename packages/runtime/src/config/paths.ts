// Paths in module.yaml are relative to the file itself, not to wherever the
// runtime was started, so a module directory can be moved or mounted anywhere.

import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConfigNode } from "./config-node.js";

/**
 * Reads a file-system path and makes it absolute against the module file's
 * directory. `file:` URLs become paths; `classpath:` locations (a StateFun
 * form for TLS material) are kept as written for the runtime to reject or map.
 */
export function optionalPath(node: ConfigNode): string | undefined {
  const text = node.optionalString();
  if (text === undefined) return undefined;
  if (text.startsWith("classpath:")) return text;
  if (text.startsWith("file:")) {
    try {
      return fileURLToPath(text);
    } catch {
      node.report(`"${text}" is not a valid file: URL (use an absolute file:/// URL or a plain path)`);
      return undefined;
    }
  }
  return isAbsolute(text) ? text : resolve(node.context.baseDir, text);
}

export function requiredPath(node: ConfigNode, hint?: string): string {
  if (!node.isPresent) {
    node.requiredString(hint);
    return "";
  }
  return optionalPath(node) ?? "";
}
