// The admin API of a cluster worker reads state from the partitions it holds: asked about an address in
// one of them it answers with the state the cluster committed; asked about an address another worker holds,
// it answers 421 EDDY_PARTITION_NOT_HERE (ask the other worker) instead of a 404 that says "no state".
// Listing addresses shows this worker's share and says which partitions that is (so does `eddy addresses`).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { partitionOf } from "@eddy/runtime";
import { createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import type { EddyProcess } from "../kafka/kafka-helpers.js";
import { adminUrl, clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";
import { waitFor } from "../support/wait-for.js";
import { spawnEddy } from "../support/eddy-process.js";

interface AddressList {
  readonly items: { readonly address: string; readonly id: string }[];
  readonly nextCursor: string | null;
  readonly partitions: { readonly held: number[]; readonly of: number };
}

async function getJson<T>(worker: EddyProcess, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${adminUrl(worker)}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as T };
}

describe("cluster mode: the admin API reads state from the worker that holds it (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("each address's state is on the worker holding its partition; the other answers 421 EDDY_PARTITION_NOT_HERE; the lists split the addresses", async () => {
    broker.assertUp();
    const s = clusterSetup("admin");
    await createTopics([s.input, s.output], 4);
    const keys = Array.from({ length: 8 }, (_, i) => `a${i}`);
    const inputs = keys.flatMap((key) => [1, 2, 3].map((n) => ({ key, value: `${key}-${n}` })));
    const running: EddyProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const worker = startWorker(s);
        running.push(worker);
        await worker.waitFor("eddy is running", 60_000);
      }
      const [a, b] = running as [EddyProcess, EddyProcess];
      await produce(s.input, inputs);
      const out = await readAllCommitted(s.output, inputs.length, 60_000, 1_000);
      assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), []);

      // The group settles on each worker holding some of the 8 partitions, every partition held once.
      let lists: [AddressList, AddressList] | undefined;
      await waitFor("the two workers to hold all 8 partitions between them", async () => {
        const [la, lb] = await Promise.all([getJson<AddressList>(a, "/v1/addresses?function_type=test/counter"), getJson<AddressList>(b, "/v1/addresses?function_type=test/counter")]);
        lists = [la.body, lb.body];
        const held = [...la.body.partitions.held, ...lb.body.partitions.held].sort((x, y) => x - y);
        return la.body.partitions.held.length > 0 && lb.body.partitions.held.length > 0 && JSON.stringify(held) === JSON.stringify([0, 1, 2, 3, 4, 5, 6, 7]);
      }, 60_000);
      const [listA, listB] = lists!;
      assert.equal(listA.partitions.of, 8);
      for (const [worker, list] of [[a, listA], [b, listB]] as const) {
        const expected = keys.filter((k) => list.partitions.held.includes(partitionOf(k, 8)));
        assert.deepEqual(list.items.map((i) => i.id), expected, `worker ${running.indexOf(worker)} lists the counters of its partitions ${list.partitions.held.join(",")}`);
      }

      const cli = spawnEddy(["addresses", "--function", "test/counter", "--admin", adminUrl(a)]);
      assert.equal(await cli.exited, 0, cli.stderr());
      assert.equal(
        cli.stdout(),
        [...listA.items.map((i) => `${i.address}\n`), `(this worker holds partitions ${listA.partitions.held.join(", ")} of 8; the other workers list the rest)\n`].join(""),
        "eddy addresses says the list is this worker's share",
      );

      for (const key of keys) {
        const partition = partitionOf(key, 8);
        const [holder, other] = listA.partitions.held.includes(partition) ? [a, b] : [b, a];
        const here = await getJson<{ state: Record<string, { value: unknown }> }>(holder, `/v1/addresses/test/counter/${key}`);
        assert.equal(here.status, 200, JSON.stringify(here.body));
        assert.equal(here.body.state["n"]?.value, 3, `test/counter/${key} counted its 3 inputs`);
        const elsewhere = await getJson<{ error: { code: string; message: string } }>(other, `/v1/addresses/test/counter/${key}`);
        assert.equal(elsewhere.status, 421, JSON.stringify(elsewhere.body));
        assert.equal(elsewhere.body.error.code, "EDDY_PARTITION_NOT_HERE");
        assert.match(elsewhere.body.error.message, new RegExp(`test/counter/${key} is in partition ${partition}, which another worker holds`));
        const drop = await fetch(`${adminUrl(other)}/v1/quarantine/test/counter/${key}/drop`, { method: "POST", signal: AbortSignal.timeout(10_000) });
        assert.equal(drop.status, 421, `a drop on the wrong worker is misdirected, not "not parked": ${await drop.text()}`);
      }
    } finally {
      assert.deepEqual(await stopAll(running), []);
    }
  });
});
