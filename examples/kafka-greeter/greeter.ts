/**
 * The seed's Greeter reading from Kafka and writing to Kafka: the ingress
 * routes each record of topic "names" (key = user id, value = the name as
 * UTF-8) to apache/greeter/<user id>; the greeter counts visits in state and
 * sends the greeting to topic "greetings" (key = user id) through the
 * exactly-once Kafka egress.
 */
import { defineFunction, kafkaEgressMessage, rawType, Types } from "@eddy/sdk";
import { greetText } from "../greeter/greeter.js";

export { greetText };

/** Kafka ingress values are not wrapped, so the name arrives as raw UTF-8 bytes. */
export const NameType = rawType("example/Name");

export const KAFKA_EGRESS_ID = "example/greetings";

const decoder = new TextDecoder();

export const greeter = defineFunction({
  typename: "apache/greeter",
  state: { seen_count: Types.int },
  accepts: [NameType],
  fn(ctx, message) {
    const name = decoder.decode(message.as(NameType));
    const seen = ctx.storage.seen_count ?? 0;
    ctx.storage.seen_count = seen + 1;
    ctx.sendEgress(
      kafkaEgressMessage({ egress: KAFKA_EGRESS_ID, topic: "greetings", key: ctx.self.id, value: greetText(name, seen) }),
    );
  },
});
