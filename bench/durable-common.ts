/** Helpers shared by the durable benchmarks (durable.ts) and their child process (durable-probe.ts). */
import { join } from "node:path";
import { open } from "lmdb";
import { Types } from "@eddy/sdk";
import type { StateSpec } from "@eddy/sdk";
import type { CommitUnit } from "@eddy/runtime";

/** The function type the recovery and RSS benchmarks store state under. */
export const PROBE_TYPE = "bench/keys";

/**
 * The id of the last LMDB write transaction of a closed data directory. Every
 * group commit of the store is one write transaction, so the difference over
 * a run counts group commits without any hook in the store.
 */
export async function lastTxnId(dataDir: string): Promise<number> {
  const root = open({ path: join(dataDir, "data"), readOnly: true });
  try {
    // lmdb's typings declare getStats() as {}; it returns LMDB's mdb_env_info, lastTxnId included.
    return (root.getStats() as { lastTxnId: number }).lastTxnId;
  } finally {
    await root.close();
  }
}

/** The one state the probe keys carry. */
export const PROBE_SPECS: readonly StateSpec[] = [{ name: "seen_count", typename: Types.int.typename, expireMode: "none", expireAfterMs: 0 }];

/** A commit unit that writes `seen_count = value` for probe key `id`, and nothing else. */
export function probeWrite(id: string, value: number): CommitUnit {
  return {
    target: { type: PROBE_TYPE, id },
    targetKey: `${PROBE_TYPE}\u0000${id}`,
    functionType: PROBE_TYPE,
    invokedAt: Date.now(),
    consumed: [],
    mutations: [{ kind: "modify", name: "seen_count", value: { typename: Types.int.typename, value: Types.int.serialize(value) } }],
    messages: [],
    delayed: [],
    egress: [],
  };
}
