// Writes records to a topic of the local broker, or prints a topic's records:
// what the Kafka example needs from a shell, without Kafka's own CLI tools.
//
//   npm run kafka:produce -- <topic> <key>=<value> [<key>=<value> ...]   (creates the topic when missing)
//   npm run kafka:consume -- <topic> [--wait <ms>]                       (read_committed, from the beginning)
//
// consume prints "<key>\t<value>" per record and exits once no record arrived
// for --wait ms (default 3000). Environment: EDDY_KAFKA_PORT (9092), as kafka.mjs.
import { Admin, Consumer, FetchIsolationLevels, Producer } from "@platformatic/kafka";

const broker = `127.0.0.1:${Number(process.env.EDDY_KAFKA_PORT ?? 9092)}`;
const [command, topic, ...rest] = process.argv.slice(2);
const usage =
  "usage: npm run kafka:produce -- <topic> <key>=<value> ...\n       npm run kafka:consume -- <topic> [--wait <ms>]";

function fail(message) {
  process.stderr.write(`kafka: ${message}\n`);
  process.exit(1);
}

async function withClient(client, use) {
  try {
    return await use(client);
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)} (broker ${broker}; is it running? npm run kafka:start)`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function ensureTopic(name) {
  await withClient(new Admin({ clientId: "eddy-topic-tool", bootstrapBrokers: [broker] }), async (admin) => {
    const existing = await admin.listTopics();
    if (!existing.includes(name)) await admin.createTopics({ topics: [name], partitions: 1, replicas: 1 });
  });
}

async function produce() {
  const records = rest.map((arg) => {
    const at = arg.indexOf("=");
    if (at <= 0) fail(`"${arg}" is not <key>=<value> (the key is the target function's id)\n${usage}`);
    return { topic, key: Buffer.from(arg.slice(0, at)), value: Buffer.from(arg.slice(at + 1)) };
  });
  if (records.length === 0) fail(`no records given\n${usage}`);
  await ensureTopic(topic);
  const producer = new Producer({ clientId: "eddy-topic-tool", bootstrapBrokers: [broker], acks: -1, idempotent: true, producerId: -1n, producerEpoch: -1 });
  await withClient(producer, (p) => p.send({ messages: records }));
  process.stdout.write(`produced ${records.length} record${records.length === 1 ? "" : "s"} to ${topic}\n`);
}

async function consume() {
  const waitAt = rest.indexOf("--wait");
  const waitMs = waitAt === -1 ? 3000 : Number(rest[waitAt + 1]);
  if (!Number.isFinite(waitMs) || waitMs <= 0) fail(`--wait takes a number of milliseconds\n${usage}`);
  await ensureTopic(topic);
  const consumer = new Consumer({
    clientId: "eddy-topic-tool",
    groupId: `eddy-topic-tool-${process.pid}-${Date.now()}`,
    bootstrapBrokers: [broker],
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 100,
  });
  await withClient(consumer, async (c) => {
    const stream = await c.consume({ topics: [topic], mode: "earliest", autocommit: false });
    let last = Date.now();
    stream.on("data", (m) => {
      last = Date.now();
      process.stdout.write(`${m.key?.toString() ?? ""}\t${m.value?.toString() ?? ""}\n`);
    });
    while (Date.now() - last < waitMs) await new Promise((r) => setTimeout(r, 100));
    await stream.close();
  });
}

if (topic === undefined || topic.startsWith("-")) fail(usage);
if (command === "produce") await produce();
else if (command === "consume") await consume();
else fail(usage);
