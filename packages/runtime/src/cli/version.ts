import { readFileSync } from "node:fs";

/** The version of @eddy/runtime (the same file sits two levels up from src/cli and dist/cli). */
export function eddyVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}
