/**
 * The cluster tests' pipeline: Kafka ingress → test/counter → (message to
 * another address, on another partition) test/relay → (delayed message)
 * test/emit → Kafka egress. Each stage counts per key in its state, so a
 * doubled or lost effect shows as a gap or repeat in the output's counters.
 * The egress id and output topic come from EDDY_TEST_EGRESS_ID and
 * EDDY_TEST_OUTPUT_TOPIC (fresh per test). An input starting with "poison"
 * makes test/counter throw, every time (for the quarantine tests); one starting
 * with "oversized" makes test/emit write an egress record larger than the
 * broker takes (2 MB), so every transaction carrying it fails.
 */
import { address, defineFunction, kafkaEgressMessage, rawType, stringMessage, Types } from "@eddy/sdk";

const decoder = new TextDecoder();
const topic = process.env["EDDY_TEST_OUTPUT_TOPIC"] ?? "output";
const egress = process.env["EDDY_TEST_EGRESS_ID"] ?? "test/output";
const InputType = rawType("test/Input");

export const counter = defineFunction({
  typename: "test/counter",
  state: { n: Types.int },
  accepts: [InputType],
  fn(ctx, message) {
    const input = decoder.decode(message.as(InputType));
    if (input.startsWith("poison")) throw new Error(`test/counter cannot count ${input}`);
    const n = (ctx.storage.n ?? 0) + 1;
    ctx.storage.n = n;
    ctx.send(stringMessage(address("test/relay", `${ctx.self.id}~relay`), `${n}:${input}`));
  },
});

export const relay = defineFunction({
  typename: "test/relay",
  state: { n: Types.int },
  fn(ctx, message) {
    ctx.storage.n = (ctx.storage.n ?? 0) + 1;
    const key = ctx.self.id.slice(0, ctx.self.id.lastIndexOf("~"));
    ctx.sendAfter(20, stringMessage(address("test/emit", key), message.asString()));
  },
});

export const emit = defineFunction({
  typename: "test/emit",
  state: { m: Types.int },
  fn(ctx, message) {
    const m = (ctx.storage.m ?? 0) + 1;
    ctx.storage.m = m;
    // "<counter n>:<input>:<emit m>"
    const value = `${message.asString()}:${m}`;
    const oversized = message.asString().split(":")[1]?.startsWith("oversized") === true;
    ctx.sendEgress(kafkaEgressMessage({ egress, topic, key: ctx.self.id, value: oversized ? `${value}:${"x".repeat(2_000_000)}` : value }));
  },
});
