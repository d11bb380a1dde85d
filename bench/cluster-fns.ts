/**
 * The cluster benchmark's function: counts per key and answers through the
 * exactly-once Kafka egress with the input's produce time, so the reader can
 * measure produce → committed output. Topic and egress id come from
 * EDDY_BENCH_OUTPUT_TOPIC and EDDY_BENCH_EGRESS_ID.
 */
import { defineFunction, kafkaEgressMessage, rawType, Types } from "@eddy/sdk";

const decoder = new TextDecoder();
const topic = process.env["EDDY_BENCH_OUTPUT_TOPIC"] ?? "bench-output";
const egress = process.env["EDDY_BENCH_EGRESS_ID"] ?? "bench/output";
const InputType = rawType("bench/Input");

export const counter = defineFunction({
  typename: "bench/counter",
  state: { n: Types.int },
  accepts: [InputType],
  fn(ctx, message) {
    const n = (ctx.storage.n ?? 0) + 1;
    ctx.storage.n = n;
    ctx.sendEgress(kafkaEgressMessage({ egress, topic, key: ctx.self.id, value: `${decoder.decode(message.as(InputType))} ${n}` }));
  },
});
