/** The official StateFun JS SDK's function server (compat/js/server.js), which the remote benches call. */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;

/** compat/js/server.js, the playground's functions on apache-flink-statefun 3.3.0. */
export const JS_SDK_SERVER = `${root}compat/js/server.js`;

/** Installs the SDK (compat/setup.sh js) when it is not there yet. */
export function ensureJsSdk(): void {
  if (existsSync(`${root}compat/js/node_modules/apache-flink-statefun`)) return;
  const setup = spawnSync("bash", [`${root}compat/setup.sh`, "js"], { stdio: "inherit" });
  if (setup.status !== 0) throw new Error("compat/setup.sh js failed: the official JS SDK is needed for the remote benchmarks");
}
