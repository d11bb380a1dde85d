import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeMemberReport, encodeMemberReport } from "../../src/cluster/member-report.js";
import { stickyAssignment } from "../../src/cluster/sticky-assignment.js";

const sizes = (a: Map<string, number[]>) => [...a.values()].map((l) => l.length).sort();
const all = (a: Map<string, number[]>) => [...a.values()].flat().sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("cluster partition assignment: balanced and sticky", () => {
  it("a worker's death moves only its partitions; the survivors keep theirs", () => {
    const before = stickyAssignment(new Map([["a", []], ["b", []], ["c", []]]), 8);
    assert.deepEqual(all(before), range(8));
    assert.deepEqual(sizes(before), [2, 3, 3]);
    const after = stickyAssignment(new Map([["a", before.get("a")!], ["c", before.get("c")!]]), 8);
    assert.deepEqual(all(after), range(8));
    assert.deepEqual(sizes(after), [4, 4]);
    for (const survivor of ["a", "c"]) for (const p of before.get(survivor)!) assert.ok(after.get(survivor)!.includes(p), `${survivor} kept ${p}`);
  });

  it("a joining worker takes its share from the others; no partition moves between workers that stay", () => {
    const two = new Map([["a", [0, 1, 2, 3]], ["b", [4, 5, 6, 7]]]);
    const three = stickyAssignment(new Map([...two, ["c", []]]), 8);
    assert.deepEqual(all(three), range(8));
    assert.deepEqual(sizes(three), [2, 3, 3]);
    for (const p of three.get("a")!) assert.ok(two.get("a")!.includes(p));
    for (const p of three.get("b")!) assert.ok(two.get("b")!.includes(p));
  });

  it("two workers claiming one partition (one acted on an old generation): it goes to one of them only", () => {
    const out = stickyAssignment(new Map([["a", [0, 1, 2]], ["b", [2, 3]]]), 4);
    assert.deepEqual(all(out), range(4));
    assert.deepEqual(sizes(out), [2, 2]);
  });

  it("reads back what a worker reports; an unreadable or foreign report counts as no partitions and no module", () => {
    const report = { owned: [5, 1, 3], module: "ab12", worker: "host h pid 1", since: 42 };
    assert.deepEqual(decodeMemberReport(encodeMemberReport(report)), { ...report, owned: [1, 3, 5] });
    for (const bad of [Buffer.from("not json"), Buffer.alloc(0), undefined, Buffer.from("[1,2]")]) {
      assert.deepEqual(decodeMemberReport(bad), { owned: [], module: "", worker: "?", since: 0 });
    }
    assert.deepEqual(all(stickyAssignment(new Map([["a", [99, -1]]]), 3)), range(3));
  });
});
