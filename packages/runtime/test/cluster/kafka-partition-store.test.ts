import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isEddyError } from "@eddy/sdk";
import { KafkaPartitionStore } from "../../src/cluster/kafka-partition-store.js";
import { SpecRegistry } from "../../src/store/spec-registry.js";

describe("cluster partition store: a closed partition refuses work instead of holding it", { timeout: 10_000 }, () => {
  it("an ingress position queued after the partition was closed is refused at once (before, its promise never settled and the close waited forever)", async () => {
    const store = new KafkaPartitionStore({ partition: 3, specs: new SpecRegistry(), kafkaEgresses: new Set(), onWork: () => undefined });
    store.close();
    await assert.rejects(
      store.position("test/input", "in/0", "12", []),
      (error: unknown) => isEddyError(error, "EDDY_SHUTTING_DOWN") && /partition 3/.test((error as Error).message),
    );
    assert.equal(store.drain(), undefined, "nothing was queued for a transaction");
  });
});
