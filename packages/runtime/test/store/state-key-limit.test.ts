// A state whose key (function type + address id + state name) is longer than LMDB takes: before, the
// store failed mid-transaction and took no more input until a restart (and the replay failed it
// again), so one function's long state name stopped the whole runtime. Now that address is parked
// with a reason naming the state, and every other address, and the store, go on.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, defineFunction, Types } from "@eddy/sdk";
import { LmdbStateStore, Runtime } from "@eddy/runtime";
import { capturingLogger } from "../support/capturing-logger.js";
import { waitFor } from "../support/wait-for.js";

describe("a state key longer than the store takes", () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("parks only the address that writes it, naming the state; the store and other addresses go on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-state-key-"));
    dirs.push(dir);
    const { logger, entries } = capturingLogger();
    const runtime = new Runtime({ logger, store: new LmdbStateStore({ path: dir }), partitions: 1 });
    const longName = `note_${"x".repeat(2_000)}`;
    runtime.bindFunction(
      defineFunction({
        typename: "test/long",
        state: { [longName]: Types.string },
        fn(ctx) {
          (ctx.storage as Record<string, string | undefined>)[longName] = "too long to keep";
        },
      }),
    );
    let counted = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/counter",
        state: { n: Types.int },
        fn(ctx) {
          ctx.storage.n = (ctx.storage.n ?? 0) + 1;
          counted = ctx.storage.n;
        },
      }),
    );
    await runtime.start();
    const hello = { typename: Types.string.typename, value: Types.string.serialize("hi") };
    await runtime.send(address("test/long", "a"), hello);
    await waitFor("the address to be parked", () => entries.some((e) => e["event"] === "parked"));
    const parked = entries.find((e) => e["event"] === "parked")!;
    assert.equal(parked.address, "test/long/a");
    assert.equal(parked.code, "EDDY_INVALID_STATE_NAME");
    assert.match(String(parked["error"]), /state "note_x{35}…" \(2005 bytes\) of an address whose type and id take 10 bytes makes a state key of 2015 bytes, more than the store's limit of 1900; use a shorter state name/);

    // The store still takes input: another address's state is written and read back.
    await runtime.send(address("test/counter", "b"), hello);
    await runtime.send(address("test/counter", "b"), hello);
    await waitFor("the counter's two messages", () => counted === 2);
    await runtime.stop({ timeoutMs: 2_000 });
  });
});
