import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Admin } from "@platformatic/kafka";
import { isEddyError } from "@eddy/sdk";
import { clusterTopics, ensureClusterTopics, untilTopicsListed } from "../../src/cluster/cluster-topics.js";
import { createLogger } from "../../src/log/logger.js";
import { BROKER, createTopics, requireBroker, unique } from "../kafka/kafka-helpers.js";

describe("cluster topics: workers starting together on a fresh cluster (real broker)", { timeout: 60_000 }, () => {
  const broker = requireBroker();

  it("three workers creating the same cluster's topics at once all see them with their partitions", async () => {
    broker.assertUp();
    const topics = clusterTopics(unique("together"), 8);
    const logger = createLogger({ level: "silent" });
    await Promise.all([1, 2, 3].map(() => ensureClusterTopics(topics, { brokers: [BROKER], replicationFactor: 1, logger })));
    const admin = new Admin({ clientId: "eddy-test-admin", bootstrapBrokers: [BROKER] });
    try {
      const listed = await untilTopicsListed(admin, [topics.log, topics.changelog], 10_000);
      assert.deepEqual([listed.get(topics.log)?.partitionsCount, listed.get(topics.changelog)?.partitionsCount], [8, 8]);
    } finally {
      await admin.close();
    }
  });

  it("a topic the broker does not list yet is waited for (before, a worker whose broker had not caught up with the topics it had just created stopped with 'Unknown topic' and a stack trace)", async () => {
    broker.assertUp();
    const name = unique("listed-later");
    const admin = new Admin({ clientId: "eddy-test-admin", bootstrapBrokers: [BROKER] });
    try {
      await assert.rejects(admin.metadata({ topics: [name] }), "the broker does not know the topic yet");
      const listed = untilTopicsListed(admin, [name], 20_000);
      await createTopics([name], 3);
      assert.equal((await listed).get(name)?.partitionsCount, 3);
    } finally {
      await admin.close();
    }
  });

  it("a topic that never appears is a retryable EDDY_CLUSTER_FAILED naming it, after the wait", async () => {
    broker.assertUp();
    const name = unique("never-created");
    const admin = new Admin({ clientId: "eddy-test-admin", bootstrapBrokers: [BROKER] });
    try {
      const started = Date.now();
      await assert.rejects(untilTopicsListed(admin, [name], 1_000), (error: unknown) => {
        assert.ok(isEddyError(error, "EDDY_CLUSTER_FAILED"), String(error));
        assert.equal(error.retryable, true);
        assert.match(error.message, new RegExp(`${name}.*after 1000 ms`));
        return true;
      });
      assert.ok(Date.now() - started >= 1_000, "it waited before giving up");
    } finally {
      await admin.close();
    }
  });
});
