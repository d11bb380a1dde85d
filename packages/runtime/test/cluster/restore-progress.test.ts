import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/log/logger.js";
import { RestoreProgress } from "../../src/cluster/restore-progress.js";

/** A logger whose JSON lines are kept, and a clock the test moves. */
function recorder(): { lines: Record<string, unknown>[]; clock: { now: number }; progress: RestoreProgress } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "info", destination: { write: (text) => text.split("\n").filter((l) => l !== "").forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)) } });
  const clock = { now: 0 };
  return { lines, clock, progress: new RestoreProgress(logger, 5, { intervalMs: 1_000, now: () => clock.now }) };
}

describe("restore progress of a partition in the log (partition, restored, total)", () => {
  it("a long restore from the changelog: a line at its start, one a second while it reads, one at its end with its duration", () => {
    const { lines, clock, progress } = recorder();
    progress.begin({ cached: 0, from: 0n, end: 3_000n, source: "changelog" });
    progress.advance(900, 1_000n);
    clock.now = 400;
    progress.advance(900, 2_000n); // within the second: no line
    clock.now = 1_200;
    progress.advance(900, 2_900n);
    clock.now = 1_500;
    progress.advance(0, 3_000n);
    progress.done();
    assert.deepEqual(
      lines.map((l) => [l["partition"], l["restored"], l["total"], l["percent"], l["durationMs"]]),
      [
        [5, 0, 3_000, undefined, undefined],
        [5, 2_700, 3_000, 96, undefined],
        [5, 2_700, 3_000, undefined, 1_500],
      ],
    );
    assert.match(String(lines[0]!["msg"]), /partition 5: restoring the changelog from offset 0 to 3000/);
    assert.match(String(lines[2]!["msg"]), /partition 5: restored 2700 records \(0 from the local cache, 2700 from the changelog\) in 1500 ms/);
  });

  it("a restore from a current local cache counts the cached records and reads nothing", () => {
    const { lines, progress } = recorder();
    progress.begin({ cached: 40, from: 812n, end: 812n, source: "cache" });
    progress.advance(0, 812n);
    progress.done();
    assert.deepEqual(
      lines.map((l) => [l["source"], l["restored"], l["total"], l["cached"], l["fromChangelog"]]),
      [
        ["cache", 40, 40, undefined, undefined],
        ["cache", 40, 40, 40, 0],
      ],
    );
    assert.match(String(lines[0]!["msg"]), /40 records from the local cache, which is current \(changelog offset 812\)/);
  });
});
