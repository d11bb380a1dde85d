import assert from "node:assert/strict";
import { connect } from "node:net";
import { before } from "node:test";
import { join } from "node:path";
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import { LogReader } from "../../src/cluster/log-reader.js";
import { closeQuietly } from "../../src/io/kafka/kafka-common.js";
import { PartitionFetcher } from "../../src/io/kafka/partition-fetcher.js";
import { spawnEddy } from "../support/eddy-process.js";
import type { EddyProcess } from "../support/eddy-process.js";

/** The test broker's port: scripts/kafka/kafka.mjs reads the same variable. */
const BROKER_PORT = Number(process.env.EDDY_KAFKA_PORT ?? 9092);
export const BROKER = `127.0.0.1:${BROKER_PORT}`;
/** The broker's second client listener (scripts/kafka/kafka.mjs), which advertises PROXY_PORT: a test's proxy there stands between a client and the broker. */
export const PROXIED_PORT = BROKER_PORT + 2;
export const PROXY_PORT = BROKER_PORT + 3;
export const repo = new URL("../../../../", import.meta.url).pathname;

/** True when a broker answers on BROKER (scripts/run-tests.mjs starts one for this folder). */
export function brokerUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port: BROKER_PORT });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export const NO_BROKER = `no broker at ${BROKER} (npm run kafka:start)`;

/**
 * For a suite whose tests need the broker: looks for it once, before them, and each test starts
 * with `assertUp()`. No broker is a failure naming how to start one, never a skip: `npm test`
 * starts it (scripts/run-tests.mjs).
 */
export function requireBroker(): { readonly up: () => boolean; readonly assertUp: () => void } {
  let up = false;
  before(async () => {
    up = await brokerUp();
  });
  return {
    up: () => up,
    assertUp: () => assert.ok(up, NO_BROKER),
  };
}

/** Topic names unique per run, so tests never see each other's records. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function createTopics(topics: string[], partitions: number, broker = BROKER): Promise<void> {
  const admin = new Admin({ clientId: "eddy-test-admin", bootstrapBrokers: [broker] });
  try {
    await admin.createTopics({ topics, partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

export async function deleteTopics(topics: string[], broker = BROKER): Promise<void> {
  const admin = new Admin({ clientId: "eddy-test-admin", bootstrapBrokers: [broker] });
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}

export interface TestRecord {
  readonly key?: string;
  readonly value: string;
  readonly partition?: number;
}

export async function produce(topic: string, records: readonly TestRecord[], broker = BROKER): Promise<void> {
  // Idempotent: a retried produce request (slow broker under load) must not duplicate the input.
  const producer = new Producer({ clientId: "eddy-test-producer", bootstrapBrokers: [broker], acks: -1, idempotent: true, producerId: -1n, producerEpoch: -1 });
  try {
    for (let i = 0; i < records.length; i += 1000) {
      await producer.send({
        messages: records.slice(i, i + 1000).map((r) => ({
          topic,
          value: Buffer.from(r.value),
          ...(r.key === undefined ? {} : { key: Buffer.from(r.key) }),
          ...(r.partition === undefined ? {} : { partition: r.partition }),
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** Writes each transaction with one transactional producer, committing or aborting it as told. */
export async function produceTransactions(topic: string, transactions: readonly { commit: boolean; records: readonly TestRecord[] }[]): Promise<void> {
  const producer = new Producer({ clientId: "eddy-test-txn-producer", bootstrapBrokers: [BROKER], acks: -1, idempotent: true, transactionalId: unique("test-txn"), producerId: -1n, producerEpoch: -1 });
  try {
    for (const t of transactions) {
      const transaction = await producer.beginTransaction();
      await transaction.send({ messages: t.records.map((r) => ({ topic, value: Buffer.from(r.value), ...(r.key === undefined ? {} : { key: Buffer.from(r.key) }) })) });
      if (t.commit) await transaction.commit();
      else await transaction.abort();
    }
  } finally {
    await producer.close();
  }
}

export interface ReadRecord {
  readonly key: string | undefined;
  readonly value: string;
  readonly partition: number;
  readonly offset: bigint;
}

/**
 * Reads every partition of `topic` from the beginning with read_committed
 * until `expected` records arrived (or `timeoutMs` passed), then `settleMs`
 * longer so that duplicates would show up too. Aborted transactions' records
 * are dropped by Eddy's own filter (committedRecords): the client's consumer
 * stream kept some of them, which read as duplicates after a crash.
 */
export async function readCommitted(topic: string, expected: number, timeoutMs = 30_000, settleMs = 1_000, broker = BROKER): Promise<ReadRecord[]> {
  const consumer = new Consumer({ clientId: "eddy-test-reader", groupId: unique("reader"), bootstrapBrokers: [broker] });
  const fetcher = new PartitionFetcher(consumer, "eddy-test-reader");
  const out: ReadRecord[] = [];
  try {
    const partitions = (await consumer.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 1;
    const readers = Array.from({ length: partitions }, (_, p) => ({ reader: new LogReader(fetcher, topic, p, 100), next: 0n }));
    const deadline = Date.now() + timeoutMs;
    let settleUntil = Number.POSITIVE_INFINITY;
    while (Date.now() < Math.min(deadline, settleUntil)) {
      for (const r of readers) {
        // A partition without a leader yet is read again on the next round.
        const result = await r.reader.read(r.next).catch(() => undefined);
        if (result === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        r.next = result.next;
        for (const record of result.records) {
          out.push({ key: record.key?.toString(), value: record.value?.toString() ?? "", partition: r.reader.partition, offset: record.offset });
        }
      }
      if (out.length >= expected && settleUntil === Number.POSITIVE_INFINITY) settleUntil = Date.now() + settleMs;
    }
  } finally {
    await fetcher.close();
    await closeQuietly(consumer);
  }
  return out;
}

export type { EddyProcess };

/** Runs `eddy run <module> --data-dir <dir>` from sources, as a user would. */
export function startEddy(moduleFile: string, dataDir: string, env: Record<string, string> = {}): EddyProcess {
  return spawnEddy(["run", moduleFile, "--data-dir", dataDir], { env });
}

/** A module file's `io.statefun.kafka.v1/ingress` on the test broker: one topic routed to one function type. */
export function kafkaIngressLines(o: { id: string; group: string; startup: string; topic: string; valueType: string; target: string; address?: string }): string[] {
  return [
    "kind: io.statefun.kafka.v1/ingress",
    "spec:",
    `  id: ${o.id}`,
    `  address: ${o.address ?? BROKER}`,
    `  consumerGroupId: ${o.group}`,
    "  startupPosition:",
    `    type: ${o.startup}`,
    "  topics:",
    `    - topic: ${o.topic}`,
    `      valueType: ${o.valueType}`,
    `      targets: [${o.target}]`,
  ];
}

/** A module file's exactly-once `io.statefun.kafka.v1/egress` on the test broker (or at `address`, e.g. a proxy before it). */
export function kafkaEgressLines(id: string, transactionTimeout: string, address = BROKER): string[] {
  return [
    "kind: io.statefun.kafka.v1/egress",
    "spec:",
    `  id: ${id}`,
    `  address: ${address}`,
    "  deliverySemantic:",
    "    type: exactly-once",
    `    transactionTimeout: ${transactionTimeout}`,
  ];
}

/**
 * A Kafka → greeter → Kafka module reading topic `names`. The egress id is per
 * test (it names the transactional.id and the progress group, which parallel
 * tests must not share); the function learns it and the output topic from
 * EDDY_TEST_EGRESS_ID and EDDY_TEST_GREETINGS_TOPIC. The ingress reads from
 * the broker directly; the egress writes to `egressAddress`.
 */
export function greeterModule(names: string, egressId: string, group: string, startup = "earliest", egressAddress = BROKER): string {
  const greeter = join(repo, "packages/runtime/test/kafka/kafka-greeter-fn.ts");
  return [
    "kind: io.eddy.functions.v1/embedded",
    "spec:",
    "  functions: apache/greeter",
    `  module: ${greeter}`,
    "---",
    ...kafkaIngressLines({ id: "example/names", group, startup, topic: names, valueType: "example/Name", target: "apache/greeter" }),
    "---",
    ...kafkaEgressLines(egressId, "1min", egressAddress),
    "",
  ].join("\n");
}
