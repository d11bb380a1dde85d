/**
 * The seed's Greeter as an embedded Eddy function: it counts each person's
 * visits in persisted state and sends a personal greeting to the playground
 * egress, topic "greetings". It also replies with the greeting: a `POST` to a
 * request/reply ingress gets it as its answer (a `PUT` has no caller, so the
 * reply goes nowhere).
 */
import { defineFunction, jsonType, playgroundEgressMessage, Types } from "@eddy/sdk";

export interface GreetRequest {
  readonly who: string;
}

export const GreetRequestType = jsonType<GreetRequest>("apache/GreetRequest", {
  validate: (v): v is GreetRequest => typeof v === "object" && v !== null && typeof (v as GreetRequest).who === "string",
});

export interface GreetResponse {
  readonly greeting: string;
}

export const GreetResponseType = jsonType<GreetResponse>("apache/GreetResponse");

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
  accepts: [GreetRequestType],
  fn(ctx, message) {
    const { who } = message.as(GreetRequestType);
    const seen = ctx.storage.seen_count ?? 0;
    ctx.storage.seen_count = seen + 1;
    const greeting = greetText(who, seen);
    ctx.sendEgress(playgroundEgressMessage({ topic: "greetings", payload: greeting }));
    ctx.reply({ greeting }, GreetResponseType);
  },
});
