// The testing kit works from vitest too (it uses no test-framework globals): run vitest on
// test/vitest/ and read its result.
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

it("vitest runs a TestRuntime scenario and it passes", () => {
  const here = new URL("./vitest/", import.meta.url).pathname;
  const vitest = new URL("../../../node_modules/vitest/vitest.mjs", import.meta.url).pathname;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  // CI=true makes vitest colour its summary; the assertion reads plain text.
  delete env["FORCE_COLOR"];
  env["NO_COLOR"] = "1";
  const run = spawnSync(process.execPath, [vitest, "run", "--root", here, "--config", `${here}vitest.config.mjs`, "--reporter", "verbose"], {
    cwd: here,
    encoding: "utf8",
    env,
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /Tests\s+1 passed \(1\)/);
});
