/**
 * The greeter of examples/kafka-greeter, but writing to the topic named in
 * EDDY_TEST_GREETINGS_TOPIC through the egress named in EDDY_TEST_EGRESS_ID, so
 * that every test run uses fresh topics and its own transactional.id.
 */
import { defineFunction, kafkaEgressMessage, Types } from "@eddy/sdk";
import { greetText, NameType } from "../../../../examples/kafka-greeter/greeter.js";

const decoder = new TextDecoder();
const topic = process.env["EDDY_TEST_GREETINGS_TOPIC"] ?? "greetings";
const egress = process.env["EDDY_TEST_EGRESS_ID"] ?? "example/greetings";

export const greeter = defineFunction({
  typename: "apache/greeter",
  state: { seen_count: Types.int },
  accepts: [NameType],
  fn(ctx, message) {
    const name = decoder.decode(message.as(NameType));
    const seen = ctx.storage.seen_count ?? 0;
    ctx.storage.seen_count = seen + 1;
    ctx.sendEgress(kafkaEgressMessage({ egress, topic, key: ctx.self.id, value: `${seen + 1}:${greetText(name, seen)}` }));
  },
});
