import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The nearest directory from `dir` up to the root (`dir` itself first) for which `holds` is true. */
export function nearestDirectory(dir: string, holds: (dir: string) => boolean): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (holds(d)) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * The nearest package.json above a file and its "type", as Node decides a
 * `.js` file's format (a package.json that does not parse has no type).
 */
export function nearestPackage(path: string): { file: string | undefined; type: string | undefined } {
  const dir = nearestDirectory(dirname(path), (d) => existsSync(join(d, "package.json")));
  if (dir === undefined) return { file: undefined, type: undefined };
  const file = join(dir, "package.json");
  try {
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { type?: unknown };
    return { file, type: typeof manifest.type === "string" ? manifest.type : undefined };
  } catch {
    return { file, type: undefined };
  }
}
