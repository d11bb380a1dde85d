// CI prints the bench's targets table after the smoke run. That step once ran
// `tail -n 12 log | head -n 10` under `set -o pipefail`; the log ends with a JSON summary of
// 10+ KB, so head stopped reading before tail was done, tail died of SIGPIPE and CI failed
// with exit 141 after a green bench. These scenarios run the step the way .ci/run does.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

/** The line of .ci/run that prints the smoke run's table, with the log path it names. */
function ciSummaryStep(): { command: string; logPath: string } {
  const script = readFileSync(join(root, ".ci/run"), "utf8");
  const command = script.split("\n").find((line) => line.includes("/tmp/eddy-bench-smoke.log") && !line.includes("npm run bench"));
  assert.ok(command !== undefined, ".ci/run has no step that prints the bench smoke log");
  return { command, logPath: "/tmp/eddy-bench-smoke.log" };
}

function benchLog(jsonBytes: number): string {
  const rows = ["  1. remote JS SDK, durable: messages/s     3,197   ≥ 15,000  NOT met", "  5. hot key: messages/s     6,918   ≥ 3,197   met"];
  const json = JSON.stringify({ targets: Array.from({ length: jsonBytes / 20 }, (_, i) => ({ n: i })) });
  return [...Array.from({ length: 30 }, (_, i) => `(a) row ${i}`), "", "Targets (issue 11)", ...rows, "", "JSON summary (also in bench/results/latest.json):", json, ""].join("\n");
}

describe("CI's bench summary step", () => {
  it("prints the targets table and succeeds under pipefail when the log ends with a large JSON line", () => {
    const { command, logPath } = ciSummaryStep();
    const dir = mkdtempSync(join(tmpdir(), "eddy-ci-summary-"));
    const log = join(dir, "bench.log");
    writeFileSync(log, benchLog(200_000));
    const run = spawnSync("bash", ["-c", `set -euo pipefail\n${command.split(logPath).join(log)}`], { cwd: root, encoding: "utf8" });
    assert.equal(run.status, 0, `the step failed (status ${run.status}, signal ${run.signal}): ${run.stderr}`);
    assert.match(run.stdout, /^Targets \(issue 11\)\n/);
    assert.match(run.stdout, /hot key: messages\/s/);
    assert.doesNotMatch(run.stdout, /JSON summary|"targets"/);
  });

  it("says what went wrong when the bench stopped before its table", () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-ci-summary-"));
    const log = join(dir, "bench.log");
    writeFileSync(log, "(a) row 1\nError: broker did not start\n");
    const run = spawnSync(process.execPath, ["scripts/bench-targets.mjs", log], { cwd: root, encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /has no "Targets" table/);
  });
});
