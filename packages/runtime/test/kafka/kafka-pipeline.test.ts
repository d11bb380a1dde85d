import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTopics, greeterModule, produce, readCommitted, requireBroker, startEddy, unique } from "./kafka-helpers.js";
import type { ReadRecord, TestRecord } from "./kafka-helpers.js";

/** Each key's outputs must be exactly "1:…", "2:…", … "n:…": one output per input, none twice, none lost. */
function assertExactlyOnce(out: readonly ReadRecord[], inputs: readonly TestRecord[]): void {
  const expected = new Map<string, number>();
  for (const r of inputs) if (r.key !== undefined) expected.set(r.key, (expected.get(r.key) ?? 0) + 1);
  const seen = new Map<string, number[]>();
  for (const r of out) {
    const n = Number(r.value.split(":", 1)[0]);
    const list = seen.get(r.key!) ?? [];
    list.push(n);
    seen.set(r.key!, list);
  }
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  assert.equal(out.length, total, `expected ${total} outputs, got ${out.length}`);
  for (const [key, count] of expected) {
    const got = (seen.get(key) ?? []).sort((a, b) => a - b);
    assert.deepEqual(got, Array.from({ length: count }, (_, i) => i + 1), `outputs of key ${key}`);
  }
}

function setup(prefix: string, startup = "earliest") {
  const names = unique(`${prefix}-names`);
  const greetings = unique(`${prefix}-greetings`);
  const egressId = `test/${unique("greetings")}`;
  const dir = mkdtempSync(join(tmpdir(), "eddy-kafka-"));
  const moduleFile = join(dir, "module.yaml");
  writeFileSync(moduleFile, greeterModule(names, egressId, unique("group"), startup));
  const env = { EDDY_TEST_GREETINGS_TOPIC: greetings, EDDY_TEST_EGRESS_ID: egressId };
  return { names, greetings, moduleFile, dataDir: join(dir, "data"), env };
}

describe("Kafka → greeter → Kafka (eddy run, real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("exactly-once end to end: every input produces its output exactly once (read_committed)", async () => {
    broker.assertUp();
    const s = setup("e2e");
    await createTopics([s.names, s.greetings], 4);
    const inputs: TestRecord[] = Array.from({ length: 600 }, (_, i) => ({ key: `user-${i % 25}`, value: `Name${i % 25}` }));
    const eddy = startEddy(s.moduleFile, s.dataDir, s.env);
    try {
      await eddy.waitFor("eddy is running");
      await produce(s.names, inputs);
      const out = await readCommitted(s.greetings, inputs.length, 60_000, 1_500);
      assertExactlyOnce(out, inputs);
      assert.ok(out.some((r) => r.value === "1:Hello Name0 ! 😎"));
      // A clean stop and restart must neither repeat input nor output.
      eddy.kill("SIGTERM");
      assert.equal(await eddy.exited, 0);
      const again = startEddy(s.moduleFile, s.dataDir, s.env);
      try {
        await again.waitFor("eddy is running");
        await produce(s.names, [{ key: "user-0", value: "Name0" }]);
        const after = await readCommitted(s.greetings, inputs.length + 1, 30_000, 1_500);
        assertExactlyOnce(after, [...inputs, { key: "user-0", value: "Name0" }]);
      } finally {
        again.kill("SIGTERM");
        await again.exited;
      }
    } finally {
      eddy.kill("SIGTERM");
      await eddy.exited;
    }
  });

  it("survives kill -9 three times at random moments: each input produces exactly one output", async (t) => {
    broker.assertUp();
    const s = setup("crash");
    await createTopics([s.names, s.greetings], 4);
    const N = 2_000;
    const inputs: TestRecord[] = Array.from({ length: N }, (_, i) => ({ key: `user-${i % 50}`, value: `Name${i % 50}` }));
    // Produce in slices while the runtime is being killed, so kills land mid-work.
    let produced = 0;
    const producing = (async () => {
      for (let i = 0; i < N; i += 100) {
        await produce(s.names, inputs.slice(i, i + 100));
        produced = i + 100;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    let eddy = startEddy(s.moduleFile, s.dataDir, s.env);
    const kills: string[] = [];
    let logs = "";
    for (let k = 0; k < 3; k++) {
      await eddy.waitFor("eddy is running", 60_000);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
      kills.push(`kill ${k + 1} after ${produced} produced`);
      eddy.kill("SIGKILL");
      await eddy.exited;
      logs += eddy.output();
      eddy = startEddy(s.moduleFile, s.dataDir, s.env);
    }
    try {
      await producing;
      await eddy.waitFor("eddy is running", 60_000);
      const out = await readCommitted(s.greetings, N, 90_000, 3_000);
      // Separates "the input was duplicated" (a retried produce) from "Eddy duplicated it".
      assert.equal((await readCommitted(s.names, N, 10_000, 500)).length, N, "input records in Kafka");
      const values = out.map((r) => `${r.key}|${r.value}`);
      const repeated = values.length - new Set(values).size;
      if (repeated > 0 || out.length !== N) {
        t.diagnostic(`identical repeated outputs: ${repeated}`);
        if (process.env["EDDY_TEST_DUMP"] !== undefined) writeFileSync(process.env["EDDY_TEST_DUMP"], logs + eddy.output());
        t.diagnostic((logs + eddy.output()).split("\n").filter((l) => /egress progress|already committed|recovered|assigned|Kafka egress/.test(l)).join("\n"));
      }
      assertExactlyOnce(out, inputs);
      t.diagnostic(kills.join("; "));
      t.diagnostic(`skipped as already delivered after restarts: ${((logs + eddy.output()).match(/already committed to Kafka/g) ?? []).length} log lines`);
    } finally {
      eddy.kill("SIGTERM");
      await eddy.exited;
    }
  });
});
