/**
 * The seed's Greeter reading from Kafka and writing to Kafka: the ingress
 * routes each record of topic "names" (key = user id, value = the name as
 * UTF-8) to apache/greeter/<user id>; the greeter counts visits in state and
 * sends the greeting to topic "greetings" (key = user id) through the
 * exactly-once Kafka egress.
 */
import { defineFunction, kafkaEgressMessage, rawType, Types } from "@eddy/sdk";

/** Kafka ingress values are not wrapped, so the name arrives as raw UTF-8 bytes. */
export const NameType = rawType("example/Name");

export const KAFKA_EGRESS_ID = "example/greetings";

const decoder = new TextDecoder();

export function greetText(name: string, seen: number): string {
  switch (seen) {
    case 0:
      return `Hello ${name} ! 😎`;
    case 1:
      return `Hello again ${name} ! 🤗`;
    case 2:
      return `Third time is a charm! ${name}! 🥳`;
    case 3:
      return `Happy to see you once again ${name} ! 😲`;
    default:
      return `Hello at the ${seen + 1}-th time ${name} 🙌`;
  }
}

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
