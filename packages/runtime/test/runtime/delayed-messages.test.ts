import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, defineFunction, formatAddress, jsonType, stringMessage } from "@eddy/sdk";
import { ManualClock, QuarantinePolicy, Runtime, silentLogger } from "@eddy/runtime";
import type { DelayedMessage, Logger } from "@eddy/runtime";
import { DelayedMessageService } from "../../src/runtime/delayed-message-service.js";
import { turns, until } from "./helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

/** What the timer function does with one message. */
type Action =
  | { readonly sendAfter: number; readonly text: string; readonly token?: string; readonly to?: string }
  | { readonly cancel: string }
  | { readonly send: string }
  | { readonly write: string };

const Actions = jsonType<Action[]>("test/Actions");

interface Delivery {
  readonly text: string;
  readonly caller: string | undefined;
  readonly at: number;
}

function scenario(options: { logger?: Logger } = {}) {
  const clock = new ManualClock(0);
  const runtime = new Runtime({
    logger: options.logger ?? silentLogger(),
    clock,
    partitions: 2,
    retryPolicy: { initialDelayMs: 100, maxDelayMs: 100 },
    // Retries every 100 ms while a token is pending take more than the default 10 attempts.
    quarantine: new QuarantinePolicy(100),
  });
  const delivered: Delivery[] = [];
  let attempts = 0;
  const timer = defineFunction({
    typename: "test/timer",
    state: { note: Types.string },
    fn(ctx, msg) {
      attempts++;
      for (const a of msg.as(Actions)) {
        if ("sendAfter" in a) {
          ctx.sendAfter(a.sendAfter, stringMessage(address("test/sink", a.to ?? "s"), a.text), a.token);
        } else if ("cancel" in a) {
          ctx.cancelDelayedMessage(a.cancel);
        } else if ("send" in a) {
          ctx.send(stringMessage(address("test/sink", "s"), a.send));
        } else {
          ctx.storage.note = a.write;
        }
      }
    },
  });
  const sink = defineFunction({
    typename: "test/sink",
    fn(ctx, msg) {
      delivered.push({ text: msg.asString(), caller: ctx.caller && formatAddress(ctx.caller), at: clock.now() });
    },
  });
  runtime.bindFunction(timer);
  runtime.bindFunction(sink);
  const run = async (id: string, actions: Action[]) => {
    await runtime.send(address("test/timer", id), { typename: Actions.typename, value: Actions.serialize(actions) });
    await runtime.idle();
  };
  /** Moves time on and waits until whatever fired has been processed. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await runtime.idle();
  };
  const texts = () => delivered.map((d) => d.text);
  return { clock, runtime, delivered, texts, run, advance, attempts: () => attempts };
}

describe("delayed messages (ManualClock)", () => {
  it("fires after the delay, with the sender as caller", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 1000, text: "hello" }]);
    assert.equal(s.runtime.pendingDelayedMessages, 1);
    await s.advance(999);
    await turns(10);
    assert.deepEqual(s.delivered, [], "not before the delay");
    await s.advance(1);
    assert.deepEqual(s.delivered, [{ text: "hello", caller: "test/timer/a", at: 1000 }]);
    assert.equal(s.runtime.pendingDelayedMessages, 0);
    await s.runtime.stop();
  });

  it("fires a delay of 0 at the next timer tick", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 0, text: "now" }]);
    await s.advance(0);
    assert.deepEqual(s.delivered, [{ text: "now", caller: "test/timer/a", at: 0 }]);
    await s.runtime.stop();
  });

  it("fires several delayed messages in due order", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [
      { sendAfter: 300, text: "third" },
      { sendAfter: 100, text: "first" },
      { sendAfter: 200, text: "second" },
    ]);
    await s.run("b", [{ sendAfter: 150, text: "from b" }]);
    await s.advance(100);
    assert.deepEqual(s.texts(), ["first"]);
    await s.advance(50);
    assert.deepEqual(s.texts(), ["first", "from b"]);
    await s.advance(1000);
    assert.deepEqual(s.texts(), ["first", "from b", "second", "third"]);
    await s.runtime.stop();
  });

  it("keeps send order for messages of one sender due at the same time", async () => {
    const s = scenario();
    await s.runtime.start();
    const texts = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await s.run("a", texts.map((text) => ({ sendAfter: 500, text })));
    await s.run("a", [{ sendAfter: 500, text: "m12" }]);
    await s.advance(500);
    assert.deepEqual(s.texts(), [...texts, "m12"]);
    await s.runtime.stop();
  });

  it("never delivers a message sent and cancelled in the same invocation", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 100, text: "doomed", token: "t" }, { cancel: "t" }]);
    assert.equal(s.runtime.pendingDelayedMessages, 0);
    await s.advance(10_000);
    assert.deepEqual(s.delivered, []);
    await s.runtime.stop();
  });

  it("cancels a message sent by an earlier invocation of the same address", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 100, text: "doomed", token: "t" }, { sendAfter: 200, text: "kept", token: "u" }]);
    await s.advance(50);
    await s.run("a", [{ cancel: "t" }]);
    await s.advance(1000);
    assert.deepEqual(s.texts(), ["kept"]);
    await s.runtime.stop();
  });

  it("ignores a cancellation from another address with the same token", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 100, text: "from a", token: "shared" }]);
    await s.run("b", [{ cancel: "shared" }]);
    await s.advance(100);
    assert.deepEqual(s.delivered, [{ text: "from a", caller: "test/timer/a", at: 100 }]);
    await s.runtime.stop();
  });

  it("treats cancelling an unknown or already fired token as a no-op", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 10, text: "x", token: "t" }]);
    await s.advance(10);
    await s.run("a", [{ cancel: "t" }, { cancel: "never-used" }, { send: "still fine" }]);
    assert.deepEqual(s.texts(), ["x", "still fine"]);
    await s.runtime.stop();
  });

  it("fails (and retries) an invocation that reuses a pending token, applying nothing of the failed attempts", async () => {
    const { logger, entries, errors } = capturingLogger();
    const warnings = () => entries.filter((e) => e.level === 40);
    const s = scenario({ logger });
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 1000, text: "first", token: "t" }]);
    assert.equal(s.attempts(), 1);

    const sent = s.runtime.send(address("test/timer", "a"), {
      typename: Actions.typename,
      value: Actions.serialize([{ write: "from second" }, { send: "side effect" }, { sendAfter: 500, text: "second", token: "t" }]),
    });
    await sent;
    await until(() => warnings().length >= 1, "the duplicate token to fail the invocation");
    assert.equal(warnings()[0]!.code, "EDDY_DUPLICATE_CANCELLATION_TOKEN");
    assert.equal(warnings()[0]!.address, "test/timer/a");

    // retries keep failing while "first" is pending; none of their effects leak
    s.clock.advance(500);
    await turns(10);
    assert.ok(s.attempts() >= 4, `expected retries, saw ${s.attempts()} attempts`);
    assert.equal(warnings().length, 1, "one line when the address starts failing, not one per attempt");
    assert.deepEqual(errors(), [], "retryable: not parked within the attempt limit");
    assert.deepEqual(s.texts(), []);
    assert.equal(s.runtime.pendingDelayedMessages, 1);
    assert.equal(s.runtime.pendingMessages, 1, "the failing message is still pending");
    const note = () => {
      const entry = s.runtime.store.read(address("test/timer", "a"), "test/timer\u0000a", s.clock.now())[0]!;
      return entry.value && Types.string.deserialize(entry.value.value!);
    };
    assert.equal(note(), undefined, "the failed attempts wrote no state");

    // "first" fires at 1000, frees the token, and the next retry succeeds
    s.clock.advance(500);
    await until(() => s.texts().includes("first"), "the first delayed message");
    s.clock.advance(200);
    await s.runtime.idle();
    assert.deepEqual(s.texts(), ["first", "side effect"]);
    assert.equal(s.delivered[1]!.caller, "test/timer/a");
    assert.equal(note(), "from second");
    const failures = warnings().length;

    await s.advance(1000);
    assert.deepEqual(s.texts(), ["first", "side effect", "second"]);
    assert.equal(warnings().length, failures, "no failures after the token was free");
    await s.runtime.stop();
  });

  it("lets a token be reused once its message fired or was cancelled", async () => {
    const { logger, errors } = capturingLogger();
    const s = scenario({ logger });
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 10, text: "one", token: "t" }]);
    await s.advance(10);
    await s.run("a", [{ sendAfter: 10, text: "two", token: "t" }]);
    await s.run("a", [{ cancel: "t" }, { sendAfter: 10, text: "three", token: "t" }]);
    await s.advance(10);
    assert.deepEqual(s.texts(), ["one", "three"]);
    assert.deepEqual(errors(), []);
    await s.runtime.stop();
  });

  it("counts delayed messages as pending only once they fire (idle does not wait for them)", async () => {
    const s = scenario();
    await s.runtime.start();
    await s.run("a", [{ sendAfter: 60_000, text: "much later" }]);
    assert.equal(s.runtime.pendingMessages, 0);
    assert.equal(s.runtime.pendingDelayedMessages, 1);
    await s.advance(60_000);
    assert.deepEqual(s.texts(), ["much later"]);
    await s.runtime.stop();
  });
});

describe("DelayedMessageService", () => {
  const message = (senderId: string, dueAt: number, token = "", text = `${senderId}@${dueAt}`): DelayedMessage => {
    const sender = address("test/timer", senderId);
    const target = address("test/sink", "s");
    return {
      sender,
      senderKey: `test/timer\u0000${senderId}`,
      cancellationToken: token,
      dueAt,
      envelope: { target, key: "test/sink\u0000s", caller: sender, argument: { typename: "test/Text", value: new TextEncoder().encode(text) }, seq: 0 },
      seq: 0,
    };
  };
  const textOf = (m: DelayedMessage) => new TextDecoder().decode(m.envelope.argument.value);

  it("fires hundreds of messages in (due time, send order) order, skipping cancelled ones", () => {
    const clock = new ManualClock(0);
    const fired: DelayedMessage[] = [];
    const service = new DelayedMessageService(clock, (m) => fired.push(m));
    // a deterministic pseudo-random sequence of due times with many ties
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 50;
    const expected: { dueAt: number; n: number; text: string }[] = [];
    for (let n = 0; n < 400; n++) {
      const dueAt = next() * 10;
      const cancel = n % 7 === 3;
      const text = `m${n}`;
      service.add(message(`s${n}`, dueAt, cancel ? "tok" : "", text));
      if (cancel) assert.equal(service.cancel(`test/timer\u0000s${n}`, "tok"), true);
      else expected.push({ dueAt, n, text });
    }
    assert.equal(service.pendingCount, expected.length);
    clock.advance(250);
    clock.advance(1000);
    expected.sort((a, b) => a.dueAt - b.dueAt || a.n - b.n);
    assert.deepEqual(fired.map(textOf), expected.map((e) => e.text));
    assert.equal(service.pendingCount, 0);
  });

  it("indexes tokens per sender: only the sender cancels, and a fired token is free again", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const service = new DelayedMessageService(clock, (m) => fired.push(textOf(m)));
    service.add(message("a", 100, "t", "from a"));
    service.add(message("b", 100, "t", "from b"));
    assert.equal(service.isPending("test/timer\u0000a", "t"), true);
    assert.equal(service.cancel("test/timer\u0000c", "t"), false);
    assert.equal(service.cancel("test/timer\u0000b", "t"), true);
    assert.equal(service.cancel("test/timer\u0000b", "t"), false, "a second cancel is a no-op");
    clock.advance(100);
    assert.deepEqual(fired, ["from a"]);
    assert.equal(service.isPending("test/timer\u0000a", "t"), false);
    assert.equal(service.cancel("test/timer\u0000a", "t"), false, "cancelling a fired token is a no-op");
  });

  it("re-arms for an earlier message and stops firing once stopped", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const service = new DelayedMessageService(clock, (m) => fired.push(textOf(m)));
    service.add(message("a", 500, "", "late"));
    service.add(message("a", 100, "", "early"));
    clock.advance(100);
    assert.deepEqual(fired, ["early"]);
    service.stop();
    clock.advance(1000);
    assert.deepEqual(fired, ["early"]);
    assert.equal(service.pending().length, 1);
  });
});
