/**
 * The child of group-commit-failure.test.ts, run under `ulimit -f`: in each of
 * the data directories it is given, commits one unit, then one too big for
 * the file limit, then a small one on every event-loop turn while the big one
 * is being written, and prints how each write's promise settled (JSON lines
 * on stdout, one per directory).
 */
import { Types } from "@eddy/sdk";
import type { CommitUnit } from "@eddy/runtime";
import { LmdbStateStore } from "@eddy/runtime";

const TYPE = "test/group";
const BIG_BYTES = 48 * 1024 * 1024;

function unit(id: string, value: Uint8Array): CommitUnit {
  return {
    target: { type: TYPE, id },
    targetKey: `${TYPE}\u0000${id}`,
    functionType: TYPE,
    invokedAt: Date.now(),
    consumed: [],
    mutations: [{ kind: "modify", name: "v", value: { typename: Types.string.typename, value } }],
    messages: [],
    delayed: [],
    egress: [],
  };
}

/** "ok", or the code of the error the write failed with. */
const settled = (p: Promise<void>): Promise<string> =>
  p.then(
    () => "ok",
    (error: unknown) => String((error as { code?: unknown }).code),
  );

for (const dir of process.argv.slice(2)) {
  const store = new LmdbStateStore({ path: dir });
  store.registerSpecs(TYPE, [{ name: "v", typename: Types.string.typename, expireMode: "none", expireAfterMs: 0 }]);
  await store.commit(unit("before", Types.string.serialize("small")));
  let bigSettled = false;
  const big = settled(store.commit(unit("big", new Uint8Array(BIG_BYTES).fill(7)))).then((code) => {
    bigSettled = true;
    return code;
  });
  const after: Promise<string>[] = [];
  // Queued while the big group commit is on its way (and a few turns after it failed).
  for (let turn = 0; turn < 2000 && (!bigSettled || turn < 20); turn++) {
    after.push(settled(store.commit(unit(`after-${after.length}`, Types.string.serialize("small")))));
    await new Promise((resolve) => setImmediate(resolve));
  }
  process.stdout.write(`${JSON.stringify({ dir, big: await big, after: await Promise.all(after) })}\n`);
  // Not closed: after a failed write lmdb-js's close waits for a flush that never comes. The
  // parent opens the directory again, as a restart after a crash would.
}
process.exit(0);
