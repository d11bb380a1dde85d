// What the Kafka code decides on (fenced, topic exists, retry soon, wait at start) comes from the
// client's error fields, never from message text: the client's real error classes, nested as it nests them.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MultipleErrors, NetworkError, ProtocolError } from "@platformatic/kafka";
import { hasKafkaError, kafkaErrorIds } from "../../src/io/kafka/kafka-common.js";

describe("Kafka error ids", () => {
  it("finds the ids of nested protocol errors, the client's codes and Node's, through errors and cause", () => {
    const fenced = new ProtocolError("PRODUCER_FENCED");
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const wrapped = new MultipleErrors("commit failed 3 times.", [new MultipleErrors("response", [fenced]), new NetworkError("lost", { cause: refused })]);
    const ids = kafkaErrorIds(wrapped);
    for (const id of ["PRODUCER_FENCED", "PLT_KFK_PROTOCOL", "PLT_KFK_NETWORK", "ECONNREFUSED"]) assert.ok(ids.has(id), `${id} in ${[...ids].join(", ")}`);
    assert.equal(hasKafkaError(wrapped, "PRODUCER_FENCED"), true);
    assert.equal(hasKafkaError(wrapped, "TOPIC_ALREADY_EXISTS"), false);
  });

  it("does not read ids out of message text", () => {
    const worded = new Error("the broker said [PRODUCER_FENCED] somewhere in its message");
    assert.equal(hasKafkaError(worded, "PRODUCER_FENCED"), false);
    assert.equal(hasKafkaError(new MultipleErrors("failed: TOPIC_ALREADY_EXISTS", [worded]), "TOPIC_ALREADY_EXISTS"), false);
  });
});
