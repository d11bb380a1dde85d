/**
 * Kafka → greeter → Kafka, exactly once, against the broker of
 * `npm run kafka:start`: the runtime (durable LMDB store) reads topic
 * `names`, the greeter answers through the exactly-once Kafka egress, and a
 * read_committed consumer measures each record's time from produce to
 * committed output. Run alone with `node --conditions=eddy-source --import tsx bench/kafka-greeter.ts`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin, Consumer, FetchIsolationLevels, Producer } from "@platformatic/kafka";
import { defineFunction, kafkaEgressMessage, rawType, Types } from "@eddy/sdk";
import { LmdbStateStore, Runtime, silentLogger } from "@eddy/runtime";
import { closeQuietly } from "../packages/runtime/src/io/kafka/kafka-common.js";
import { KafkaEgress } from "../packages/runtime/src/io/kafka/kafka-egress.js";
import { KafkaIngress } from "../packages/runtime/src/io/kafka/kafka-ingress.js";
import { processCpuMs } from "./bench-processes.js";
import { percentile } from "./stats.js";

/** The broker of `npm run kafka:start`; EDDY_KAFKA_PORT moves it, as in scripts/kafka/kafka.mjs. */
export const KAFKA_BROKER = `127.0.0.1:${Number(process.env.EDDY_KAFKA_PORT ?? 9092)}`;

/** The pid of the broker this checkout's scripts started (scripts/kafka/kafka.mjs), for its CPU time; undefined for another broker. */
export function brokerPid(): number | undefined {
  try {
    return Number(readFileSync(new URL("../.cache/kafka/kafka.pid", import.meta.url), "utf8").trim());
  } catch {
    return undefined;
  }
}

export interface KafkaBenchResult {
  readonly offeredPerSecond: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly produceToCommittedP50Ms: number;
  readonly produceToCommittedP99Ms: number;
  readonly missing: number;
  /**
   * Messages produced (at the same rate) and read back before the measured
   * ones, so that the figures are of the running pipeline, not of its first
   * second (the ingress joining its group, the first transactions, code not
   * yet optimised), which at 50,000 messages was more than 1 % of them.
   * The embedded bench only.
   */
  readonly warmupMessages?: number;
  /**
   * CPU (user + system) per message produced, µs, from the first produce to
   * the last committed output: of the broker (NaN when it is not this
   * checkout's), and of Eddy: the bench process for the embedded runtime
   * (which includes the bench's own producer and reader, about 30 µs), the
   * worker processes in the cluster bench.
   */
  readonly eddyCpuUsPerMessage: number;
  readonly brokerCpuUsPerMessage: number;
  /**
   * Where a message's produce → committed time goes, p50 ms of each stage, in
   * series (the embedded bench only; no probe in the runtime): `toInvoked`
   * from the produce until the greeter ran (the ingress's fetch cycle, its
   * handover and the partition's turn), `toOutputProduced` from there until
   * the egress sent the greeting to Kafka (the output record's timestamp: the
   * group commit holding the invocation, then the egress's queue behind the
   * transaction in flight), `toRead` from there until the read_committed
   * reader got it (the rest of that transaction, its EndTxn, and the
   * reader's fetch). Stage p50s do not add up to the total's p50.
   */
  /**
   * Of the measured messages, the share written to the store's log and
   * removed again: those whose invocation committed in a later group commit
   * than the one that logged them (one more fsync on their way, two more
   * writes). 0 when every invocation committed with its input. The embedded
   * bench only.
   */
  readonly loggedInputShare?: number;
  readonly waitsP50Ms?: { readonly toInvoked: number; readonly toOutputProduced: number; readonly toRead: number };
}

const NameType = rawType("example/Name");
/** Marks the values of warm-up records, which the reader counts but does not measure. */
const WARMUP_MARK = "w";

/** One second's worth at the offered rate, or 2,000 messages as fast as possible. */
function defaultWarmup(rate: number): number {
  return rate > 0 ? rate : 2_000;
}

/**
 * Produces `messages` records at `rate` per second (0 = as fast as possible)
 * over `keys` keys, after `warmup` records at the same rate that are read
 * back first and not measured; each value is the produce time, which the
 * greeter puts into its greeting so the reader can compute the latency.
 */
export async function benchKafkaGreeter(messages: number, rate: number, keys = 1000, warmup = defaultWarmup(rate)): Promise<KafkaBenchResult> {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const names = `bench-names-${run}`;
  const greetings = `bench-greetings-${run}`;
  const egressId = `bench/greetings-${run}`;
  const admin = new Admin({ clientId: "bench-admin", bootstrapBrokers: [KAFKA_BROKER] });
  await admin.createTopics({ topics: [names, greetings], partitions: 8, replicas: 1 });
  await admin.close();

  const decoder = new TextDecoder();
  const greeter = defineFunction({
    typename: "apache/greeter",
    state: { seen_count: Types.int },
    accepts: [NameType],
    fn(ctx, message) {
      const seen = ctx.storage.seen_count ?? 0;
      ctx.storage.seen_count = seen + 1;
      // The invocation's time goes with the greeting, so the reader can split the latency into stages.
      ctx.sendEgress(kafkaEgressMessage({ egress: egressId, topic: greetings, key: ctx.self.id, value: `${decoder.decode(message.as(NameType))} ${seen} ${Date.now()}` }));
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), "eddy-kafka-bench-"));
  const logger = silentLogger();
  const store = new LmdbStateStore({ path: dataDir });
  const runtime = new Runtime({ logger, store });
  runtime.bindFunction(greeter);
  runtime.bindIngress(
    new KafkaIngress({
      spec: {
        id: "bench/names",
        address: KAFKA_BROKER,
        consumerGroupId: `bench-${run}`,
        topics: [{ topic: names, valueType: NameType.typename, targets: ["apache/greeter"] }],
        startupPosition: { type: "earliest" },
        autoOffsetResetPosition: "earliest",
        properties: { "fetch.max.wait.ms": "20" },
      },
      logger,
    }),
  );
  runtime.bindEgress(
    new KafkaEgress({
      spec: { id: egressId, address: KAFKA_BROKER, deliverySemantic: { type: "exactly-once", transactionTimeout: 60_000 }, properties: {} },
      logger,
    }),
  );
  await runtime.start();

  const latencies: number[] = [];
  const toInvoked: number[] = [];
  const toOutputProduced: number[] = [];
  const toRead: number[] = [];
  const reader = new Consumer({
    clientId: "bench-reader",
    groupId: `bench-reader-${run}`,
    bootstrapBrokers: [KAFKA_BROKER],
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 10,
  });
  const stream = await reader.consume({ topics: [greetings], mode: "earliest", autocommit: false });
  let received = 0;
  let warmed = 0;
  let lastAt = 0;
  stream.on("data", (m: { value?: Buffer; timestamp: bigint }) => {
    const now = Date.now();
    const text = (m.value ?? Buffer.alloc(0)).toString();
    if (text.startsWith(WARMUP_MARK)) {
      warmed++;
      return;
    }
    const [sentText, , invokedText] = text.split(" ", 3);
    const sent = Number(sentText);
    const invoked = Number(invokedText);
    // The egress's producer stamps each record when it sends it.
    const produced = Number(m.timestamp);
    latencies.push(now - sent);
    toInvoked.push(invoked - sent);
    toOutputProduced.push(produced - invoked);
    toRead.push(now - produced);
    received++;
    lastAt = now;
  });

  // Idempotent, so that a retried request cannot duplicate input and skew the count.
  const producer = new Producer({ clientId: "bench-producer", bootstrapBrokers: [KAFKA_BROKER], acks: -1, idempotent: true, producerId: -1n, producerEpoch: -1 });
  const chunk = rate === 0 ? 2000 : Math.max(1, Math.round(rate / 100));
  const produce = async (count: number, mark: string): Promise<void> => {
    const from = Date.now();
    for (let i = 0; i < count; i += chunk) {
      if (rate > 0) {
        const due = from + (i / rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const value = Buffer.from(`${mark}${Date.now()}`);
      const batch = [];
      for (let j = i; j < Math.min(count, i + chunk); j++) batch.push({ topic: names, key: Buffer.from(`user-${j % keys}`), value });
      await producer.send({ messages: batch });
    }
  };
  await produce(warmup, WARMUP_MARK);
  const warmDeadline = Date.now() + 60_000;
  while (warmed < warmup && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 5));
  const broker = brokerPid();
  const brokerCpuBefore = processCpuMs(broker);
  const cpuBefore = process.cpuUsage();
  const cancelledBefore = store.cancelledLogPuts;
  const started = Date.now();
  await produce(messages, "");
  await producer.close();
  const deadline = Date.now() + 60_000;
  while (received < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const cpu = process.cpuUsage(cpuBefore);
  const cancelled = store.cancelledLogPuts - cancelledBefore;
  const brokerCpuMs = processCpuMs(broker) - brokerCpuBefore;
  const seconds = ((lastAt || Date.now()) - started) / 1000;
  await stream.close();
  await closeQuietly(reader);
  await runtime.stop({ timeoutMs: 5_000 });
  rmSync(dataDir, { recursive: true, force: true });
  for (const list of [latencies, toInvoked, toOutputProduced, toRead]) list.sort((a, b) => a - b);
  return {
    offeredPerSecond: rate,
    messages,
    messagesPerSecond: received / seconds,
    produceToCommittedP50Ms: percentile(latencies, 0.5),
    produceToCommittedP99Ms: percentile(latencies, 0.99),
    missing: messages - received,
    warmupMessages: warmup,
    eddyCpuUsPerMessage: Math.round((cpu.user + cpu.system) / messages),
    brokerCpuUsPerMessage: Math.round((brokerCpuMs * 1000) / messages),
    loggedInputShare: Math.round((1 - cancelled / messages) * 100) / 100,
    waitsP50Ms: { toInvoked: percentile(toInvoked, 0.5), toOutputProduced: percentile(toOutputProduced, 0.5), toRead: percentile(toRead, 0.5) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const max = await benchKafkaGreeter(Number(process.env["BENCH_KAFKA_MESSAGES"] ?? 100_000), 0);
  process.stdout.write(`as fast as possible: ${JSON.stringify(max)}\n`);
  for (const rate of [5_000, 10_000, 20_000]) {
    const paced = await benchKafkaGreeter(rate * 10, rate);
    process.stdout.write(`offered ${rate}/s: ${JSON.stringify(paced)}\n`);
  }
  process.exit(0);
}
