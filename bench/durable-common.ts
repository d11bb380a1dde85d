/** Helpers shared by the durable benchmarks (durable.ts) and their child process (durable-probe.ts). */
import { join } from "node:path";
import { open } from "lmdb";

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
