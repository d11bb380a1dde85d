import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { brokerUp, NO_BROKER, repo, unique } from "./kafka-helpers.js";

/** `npm run kafka:produce|consume -- …` as docs/kafka.md shows them (the same script, without npm's banner). */
function topicTool(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(repo, "scripts/kafka/topic.mjs"), ...args], { cwd: repo, encoding: "utf8", env: process.env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("the topic tool of the Kafka example (kafka:produce / kafka:consume)", () => {
  before(async () => assert.ok(await brokerUp(), NO_BROKER));

  it("produces to a topic that does not exist yet, and reads it back in order", () => {
    const topic = unique("names");
    const produced = topicTool("produce", topic, "u1=Ann", "u2=Bob", "u1=Ann again");
    assert.equal(produced.status, 0, produced.stderr);
    assert.equal(produced.stdout, `produced 3 records to ${topic}\n`);
    const consumed = topicTool("consume", topic, "--wait", "1500");
    assert.equal(consumed.status, 0, consumed.stderr);
    assert.equal(consumed.stdout, "u1\tAnn\nu2\tBob\nu1\tAnn again\n");
  });

  it("refuses a record without a key, saying what the key is", () => {
    const run = topicTool("produce", unique("names"), "Ann");
    assert.equal(run.status, 1);
    assert.match(run.stderr, /"Ann" is not <key>=<value> \(the key is the target function's id\)/);
  });
});
