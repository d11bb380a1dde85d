import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTopics, greeterModule, produce, PROXIED_PORT, PROXY_PORT, readCommitted, requireBroker, startEddy, unique } from "./kafka-helpers.js";
import type { EddyProcess, ReadRecord, TestRecord } from "./kafka-helpers.js";
import { API, KafkaRequestProxy } from "../support/kafka-request-proxy.js";
import type { KafkaRequest } from "../support/kafka-request-proxy.js";

/**
 * The exactly-once egress's two transactional producers (`eddy-<id>` and
 * `eddy-<id>-b`): transaction k+1 produces while k commits, and commits only
 * after k. Failures are placed at one exact request of one producer by a
 * proxy that reads the Kafka requests between the egress and the broker;
 * the ingress reads the broker directly.
 */

/** Each key's outputs, in the order a read_committed reader gets them, must be exactly "1:…", "2:…", … "n:…". */
function assertExactlyOnceInOrder(out: readonly ReadRecord[], inputs: readonly TestRecord[]): void {
  const expected = new Map<string, number>();
  for (const r of inputs) expected.set(r.key!, (expected.get(r.key!) ?? 0) + 1);
  const seen = new Map<string, number[]>();
  for (const r of out) {
    const list = seen.get(r.key!) ?? [];
    list.push(Number(r.value.split(":", 1)[0]));
    seen.set(r.key!, list);
  }
  assert.equal(out.length, inputs.length, `expected ${inputs.length} outputs, got ${out.length}`);
  for (const [key, count] of expected) {
    const got = seen.get(key) ?? [];
    const want = Array.from({ length: count }, (_, i) => i + 1);
    if (got.join() !== want.join()) {
      const where = out.filter((r) => r.key === key).map((r) => `${r.value.split(":", 1)[0]}@${r.partition}/${r.offset}`);
      assert.fail(`outputs of key ${key}, in read order: ${where.join(" ")}`);
    }
  }
}

function setup(prefix: string) {
  const names = unique(`${prefix}-names`);
  const greetings = unique(`${prefix}-greetings`);
  const egressId = `test/${unique("pipelined")}`;
  const dir = mkdtempSync(join(tmpdir(), "eddy-kafka-"));
  const moduleFile = join(dir, "module.yaml");
  writeFileSync(moduleFile, greeterModule(names, egressId, unique("group"), "earliest", `127.0.0.1:${PROXY_PORT}`));
  const env = { EDDY_TEST_GREETINGS_TOPIC: greetings, EDDY_TEST_EGRESS_ID: egressId };
  // The egress's two transactional producers' client ids (and transactional ids): eddy-<egress id>, eddy-<egress id>-b.
  const lanes = [`eddy-${egressId}`, `eddy-${egressId}-b`] as const;
  return { names, greetings, moduleFile, dataDir: join(dir, "data"), env, lanes };
}

/** Produces `inputs` in slices of 20 every 80 ms (~250/s), so that transactions keep running while the test acts. */
function producePaced(topic: string, inputs: readonly TestRecord[]): Promise<void> {
  return (async () => {
    for (let i = 0; i < inputs.length; i += 20) {
      await produce(topic, inputs.slice(i, i + 20));
      await new Promise((r) => setTimeout(r, 80));
    }
  })();
}

const isEndTxn = (r: KafkaRequest, clientId?: string): boolean => r.apiKey === API.END_TXN && (clientId === undefined || r.clientId === clientId);

describe("Kafka exactly-once egress, pipelined transactions on two producers (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();
  let proxy: KafkaRequestProxy;
  before(async () => {
    if (!broker.up()) return;
    proxy = await KafkaRequestProxy.start(PROXY_PORT, PROXIED_PORT);
  });
  after(async () => {
    await proxy?.close();
  });
  /** Every eddy a test started: one a failed test left running is killed. */
  const started = new Set<EddyProcess>();
  const start = (s: ReturnType<typeof setup>): EddyProcess => {
    const eddy = startEddy(s.moduleFile, s.dataDir, s.env);
    started.add(eddy);
    void eddy.exited.then(() => started.delete(eddy));
    return eddy;
  };
  afterEach(async () => {
    for (const eddy of started) {
      eddy.kill("SIGKILL");
      await eddy.exited;
    }
  });

  /** Starts eddy on a fresh pipeline and waits until both producers have committed transactions with records. */
  async function running(prefix: string, n: number) {
    const s = setup(prefix);
    await createTopics([s.names, s.greetings], 4);
    proxy.decide = () => "pass";
    const inputs: TestRecord[] = Array.from({ length: n }, (_, i) => ({ key: `user-${i % 30}`, value: `Name${i % 30}` }));
    const eddy = start(s);
    await eddy.waitFor("eddy is running", 60_000);
    const producing = producePaced(s.names, inputs);
    const from = proxy.requests.length;
    const seen = () => proxy.requests.slice(from);
    await proxy.waitUntil(
      () => s.lanes.every((lane) => seen().filter((r) => isEndTxn(r, lane) && r.committed === true && r.responded === true).length >= 3),
      60_000,
      "three commits of each producer",
    );
    return { s, inputs, eddy, producing };
  }

  async function finish(s: ReturnType<typeof setup>, inputs: TestRecord[], producing: Promise<void>, eddy: EddyProcess): Promise<ReadRecord[]> {
    try {
      await producing;
      const out = await readCommitted(s.greetings, inputs.length, 90_000, 2_000);
      assertExactlyOnceInOrder(out, inputs);
      return out;
    } finally {
      eddy.kill("SIGTERM");
      await eddy.exited;
    }
  }

  it("kill -9 while both transactions are open (k's EndTxn held, k+1 produced): after the restart every output exactly once, in order", async (t) => {
    broker.assertUp();
    const { s, inputs, eddy, producing } = await running("both-open", 1_500);
    const armedAt = proxy.requests.length;
    proxy.decide = (r) => (isEndTxn(r) && s.lanes.includes(r.clientId as never) ? "hold" : "pass");
    const since = () => proxy.requests.slice(armedAt);
    // k: the first EndTxn held; k+1: the other producer's records sent after it.
    await proxy.waitUntil(() => since().some((r) => isEndTxn(r)), 30_000, "an EndTxn of the egress");
    const k = since().find((r) => isEndTxn(r))!;
    const other = s.lanes.find((lane) => lane !== k.clientId)!;
    await proxy.waitUntil(() => since().some((r) => r.clientId === other && r.apiKey === API.PRODUCE && r.at >= k.at), 30_000, "k+1's Produce");
    // k+1 does not ask to commit while k's commit is unanswered.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(since().filter((r) => isEndTxn(r, other)).length, 0, "k+1 sent EndTxn before k committed");
    eddy.kill("SIGKILL");
    await eddy.exited;
    proxy.decide = () => "pass";
    t.diagnostic(`killed with ${k.clientId}'s EndTxn held and ${other}'s transaction produced`);
    const again = start(s);
    await again.waitFor("eddy is running", 60_000);
    await finish(s, inputs, producing, again);
  });

  it("a crash between the two EndTxns (k committed, k+1's held): k+1's records are delivered exactly once after the restart", async (t) => {
    broker.assertUp();
    const { s, inputs, eddy, producing } = await running("between", 1_500);
    const armedAt = proxy.requests.length;
    let first: string | undefined;
    proxy.decide = (r) => {
      if (!isEndTxn(r) || !s.lanes.includes(r.clientId as never)) return "pass";
      first ??= r.clientId;
      return r.clientId === first ? "pass" : "hold";
    };
    const since = () => proxy.requests.slice(armedAt);
    await proxy.waitUntil(() => first !== undefined, 30_000, "k's EndTxn");
    const second = s.lanes.find((lane) => lane !== first)!;
    await proxy.waitUntil(() => since().some((r) => isEndTxn(r, second)), 30_000, "k+1's EndTxn (held)");
    const k = since().find((r) => isEndTxn(r, first))!;
    assert.equal(k.committed, true);
    assert.equal(k.responded, true, "k+1 asked to commit before k's commit was answered");
    const committedBefore = (await readCommitted(s.greetings, inputs.length, 1_000, 0)).length;
    eddy.kill("SIGKILL");
    await eddy.exited;
    proxy.decide = () => "pass";
    t.diagnostic(`killed after ${first}'s commit, with ${second}'s EndTxn held; ${committedBefore} outputs committed before`);
    assert.ok(committedBefore > 0 && committedBefore < inputs.length);
    const again = start(s);
    await again.waitFor("eddy is running", 60_000);
    await finish(s, inputs, producing, again);
  });

  /**
   * Holds k's EndTxn until k+1 has produced, then fails k: `cut` closes the connection (the commit never reaches
   * the broker), `cut-response` lets it through and cuts its answer (k commits, its producer does not know). The
   * client's retries and its abort get the same verdict until k+1's producer has aborted; then every request
   * passes, and k+1's first EndTxn must have been an abort.
   */
  async function failKAfterKPlus1Produced(s: ReturnType<typeof setup>, verdict: "cut" | "cut-response"): Promise<void> {
    const armedAt = proxy.requests.length;
    const since = () => proxy.requests.slice(armedAt);
    let failing: string | undefined;
    let other: string | undefined;
    let failingNow = false;
    proxy.decide = (r) => {
      if (!isEndTxn(r) || !s.lanes.includes(r.clientId as never)) return "pass";
      failing ??= r.clientId;
      other ??= s.lanes.find((lane) => lane !== failing);
      if (r.clientId !== failing) return "pass";
      return failingNow ? verdict : "hold";
    };
    await proxy.waitUntil(() => failing !== undefined, 30_000, "k's EndTxn");
    const k = since().find((r) => isEndTxn(r, failing))!;
    await proxy.waitUntil(() => since().some((r) => r.clientId === other && r.apiKey === API.PRODUCE && r.at >= k.at), 30_000, "k+1's Produce");
    failingNow = true;
    if (verdict === "cut") proxy.cutHolding();
    else proxy.releaseCuttingResponses();
    await proxy.waitUntil(() => since().some((r) => isEndTxn(r, other) && r.committed === false), 30_000, "k+1's abort");
    proxy.decide = () => "pass";
    const ends = since().filter((r) => isEndTxn(r, other));
    assert.equal(ends[0]!.committed, false, "k+1's first EndTxn after k failed must be an abort");
  }

  it("k fails after k+1 produced: k+1 is aborted, never committed, and both are delivered once, in order", async () => {
    broker.assertUp();
    const { s, inputs, eddy, producing } = await running("k-fails", 1_200);
    await failKAfterKPlus1Produced(s, "cut");
    await finish(s, inputs, producing, eddy);
    assert.match(eddy.output(), /delivery failed/);
  });

  it("k commits but its answer is lost, after k+1 produced: k+1 is aborted, k's records are not produced again", async () => {
    broker.assertUp();
    const { s, inputs, eddy, producing } = await running("lost-answer", 1_200);
    await failKAfterKPlus1Produced(s, "cut-response");
    await finish(s, inputs, producing, eddy);
    assert.match(eddy.output(), /whose answer was lost/);
  });
});
