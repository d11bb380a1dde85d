// End-to-end compatibility scenarios (statefun-spec §7): Eddy runs in-process, built from
// compat/module.yaml.template like `eddy run` would; each official StateFun SDK (JS, Python, Go,
// Java) serves the compat functions as a real child process; Eddy reaches it over real HTTP
// through a recording proxy; the test drives the playground ingress and reads the playground
// egress over HTTP, as a user would with curl. One describe block per language, run in turn.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  FromFunction_ExpirationSpec_ExpireMode as ExpireMode,
  FromFunction_PersistedValueMutation_MutationType as MutationType,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
} from "@eddy/protocol";
import type { FromFunction_PersistedValueSpec } from "@eddy/protocol";
import { STRING_TYPENAME, Types } from "@eddy/sdk";
import { LANGS, startServer } from "../servers.mjs";
import type { StartedServer } from "../servers.mjs";
import { eventually, RecordingProxy, startEddy } from "./harness.js";
import type { Eddy, Exchange } from "./harness.js";

const INT = "io.statefun.types/int";
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array(0)).toString("hex");
const texts = (exchanges: readonly Exchange[]) => exchanges.flatMap((e) => e.invocations.map((i) => i.text));

function specOf(missing: readonly FromFunction_PersistedValueSpec[] | undefined) {
  return (missing ?? []).map((m) => ({
    name: m.stateName,
    typename: m.typeTypename,
    // JS sends no expiration spec for "no TTL"; Python and Go send mode NONE.
    mode: m.expirationSpec?.mode ?? ExpireMode.NONE,
    ms: Number(m.expirationSpec?.expireAfterMillis ?? 0n),
  }));
}

for (const lang of LANGS) {
  describe(`${lang} SDK`, () => {
    let server: StartedServer | undefined;
    let proxy: RecordingProxy | undefined;
    let eddy!: Eddy;
    let fx!: RecordingProxy;

    before(async () => {
      server = await startServer(lang);
      proxy = fx = await RecordingProxy.start(server.url);
      eddy = await startEddy(fx.port);
    });

    after(async () => {
      // Short drain timeout: a failing address (if a test failed) must not hold the suite.
      await eddy?.stop(2_000);
      await proxy?.close();
      await server?.stop();
    });

    it("lazy state registration: first request has no states, IncompleteInvocationContext registers `count`, the same batch is re-sent, the count persists", async () => {
      await eddy.send("compat/counter/lazy", "a");
      assert.deepEqual(await eddy.take("counts", 1), ["lazy:1"]);

      const [first, resend, ...rest] = fx.to("compat/counter/lazy");
      assert.ok(first && resend, "expected two requests");
      assert.equal(rest.length, 0);
      assert.deepEqual(first.states, [], "the first request of a function type carries no states");
      assert.equal(first.kind, "incomplete");
      assert.deepEqual(specOf(first.missing), [{ name: "count", typename: INT, mode: ExpireMode.NONE, ms: 0 }]);

      assert.deepEqual(resend.invocations, first.invocations, "the same invocations are re-sent");
      assert.deepEqual(
        resend.states.map((s) => [s.name, s.typename, s.hasValue]),
        [["count", undefined, false]],
        "the registered state goes as a name-only entry",
      );
      assert.equal(resend.kind, "result");
      const mutations = resend.result!.stateMutations.map((m) => [
        m.mutationType,
        m.stateName,
        m.stateValue?.typename,
        hex(m.stateValue?.value),
      ]);
      assert.deepEqual(mutations, [[MutationType.MODIFY, "count", INT, "0d01000000"]]);

      await eddy.send("compat/counter/lazy", "b");
      assert.deepEqual(await eddy.take("counts", 1), ["lazy:2"]);
      const third = fx.to("compat/counter/lazy")[2]!;
      assert.deepEqual(
        third.states.map((s) => [s.name, s.typename, s.hasValue, hex(s.value)]),
        [["count", INT, true, "0d01000000"]],
      );
      assert.equal(third.kind, "result");

      // The type is registered now: a fresh address's first request already names the state.
      await eddy.send("compat/counter/other", "x");
      assert.deepEqual(await eddy.take("counts", 1), ["other:1"]);
      const other = fx.to("compat/counter/other");
      assert.equal(other.length, 1);
      assert.deepEqual(
        other[0]!.states.map((s) => [s.name, s.hasValue]),
        [["count", false]],
      );
    });

    it("playground greeter: PUT example/GreetRequest to /example/person/Bob ×3 → GET /greetings gives the SDK's texts, then 404; unknown topic → 405", async () => {
      for (let i = 0; i < 3; i++) {
        const status = await eddy.put("/example/person/Bob", '{"name": "Bob"}', "application/vnd.example/GreetRequest");
        assert.equal(status, 200);
      }
      assert.deepEqual(await eddy.take("greetings", 3), [
        "Welcome Bob",
        "Nice to see you again Bob",
        "Third time is a charm Bob",
      ]);
      assert.deepEqual(await eddy.pop("greetings"), { status: 404, text: "" });
      assert.equal((await eddy.pop("no-such-topic")).status, 405);

      // person → greeter carried the JSON type and the sender as caller.
      const toGreeter = fx.completed("example/greeter/Bob").flatMap((e) => e.invocations);
      assert.equal(toGreeter.length, 3);
      for (const inv of toGreeter) {
        assert.equal(inv.typename, "example/GreetRequest");
        assert.equal(inv.caller, "example/person/Bob");
      }
      assert.deepEqual(
        toGreeter.map((i) => (JSON.parse(i.text) as { visits: number }).visits),
        [1, 2, 3],
      );
    });

    it("batching: 5 quick messages to compat/slow/batch → one request with 1 invocation, then one with the other 4, in order", async () => {
      const n = 5;
      for (let i = 1; i <= n; i++) await eddy.send("compat/slow/batch", `m${i}`);
      const expected = Array.from({ length: n }, (_, i) => `batch:${i + 1}`);
      assert.deepEqual(await eddy.take("slow", n, 15_000), expected);

      const done = fx.completed("compat/slow/batch");
      assert.deepEqual(texts(done), ["m1", "m2", "m3", "m4", "m5"], "arrival order kept within and across batches");
      assert.deepEqual(
        done.map((e) => e.invocations.length),
        [1, n - 1],
        "messages that arrived while the first call was in flight go out as one batch",
      );
      // One response per batch holding the final state.
      const last = done[1]!.result!.stateMutations;
      assert.deepEqual(
        last.map((m) => [m.stateName, hex(m.stateValue?.value)]),
        [["n", hex(Types.int.serialize(n))]],
      );
      // At most one request in flight per address: every request came after the previous answer.
      assert.ok(fx.to("compat/slow/batch").every((e) => e.kind !== undefined));
    });

    it("caller propagation: ingress → compat/caller (no caller) → compat/echo (caller = compat/caller/c1) → reply to caller", async () => {
      await eddy.send("compat/caller/c1", "start");
      assert.deepEqual(await eddy.take("caller", 1), ["c1:pong from compat/echo/c1"]);
      const callerSaw = fx.completed("compat/caller/c1").flatMap((e) => e.invocations);
      assert.deepEqual(
        callerSaw.map((i) => [i.caller, i.text]),
        [
          [undefined, "start"],
          ["compat/echo/c1", "pong"],
        ],
      );
      const echoSaw = fx.completed("compat/echo/c1").flatMap((e) => e.invocations);
      assert.deepEqual(
        echoSaw.map((i) => [i.caller, i.text]),
        [["compat/caller/c1", "ping"]],
      );
    });

    it("request/reply: POST to compat/echo answers with the pong the SDK function sends to its caller", async () => {
      const res = await fetch(`http://127.0.0.1:${eddy.ingressPort}/compat/echo/rr`, {
        method: "POST",
        headers: { "Content-Type": `application/vnd.${STRING_TYPENAME}` },
        body: Types.string.serialize("ping"),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), `application/vnd.${STRING_TYPENAME}`);
      assert.equal(Types.string.deserialize(new Uint8Array(await res.arrayBuffer())), "pong");
      const echoSaw = fx.completed("compat/echo/rr").flatMap((e) => e.invocations);
      assert.equal(echoSaw.length, 1);
      assert.match(String(echoSaw[0]?.caller), /^io\.eddy\.reply\/http\//);
    });

    it("delayed messages: fire after the delay with caller = sender; a cancel from another address or of an unknown token has no effect", async () => {
      const started = performance.now();
      await eddy.send("compat/delayed/d1", "schedule:600:t1");
      await eddy.send("compat/delayed/d1", "cancel:no-such-token");
      await eddy.send("compat/delayed/d2", "cancel:t1"); // only the sender can cancel
      await eddy.expect("delayed", "d1:fired:t1");
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 590, `fired after ${Math.round(elapsed)} ms, expected ≥ 600 ms`);

      const fire = fx
        .completed("compat/delayed/d1")
        .flatMap((e) => e.invocations)
        .filter((i) => i.text === "fire:t1");
      assert.deepEqual(
        fire.map((i) => i.caller),
        ["compat/delayed/d1"],
        "a delayed message carries its sender as caller, and is delivered once",
      );
      assert.equal(fx.to("compat/delayed/d2").at(-1)?.kind, "result");
      assert.deepEqual(await eddy.drain("delayed"), []);
    });

    it("delayed messages: send + cancel in one response is never delivered", async () => {
      await eddy.send("compat/delayed/d3", "schedule-and-cancel:t2"); // 1000 ms, cancelled at once
      await eddy.send("compat/delayed/d3", "schedule:1200:marker"); // fires after t2 would have
      await eddy.expect("delayed", "d3:fired:marker", 10_000);
      assert.deepEqual(await eddy.drain("delayed"), [], "t2 was cancelled, so only the marker fired");
      assert.ok(!texts(fx.to("compat/delayed/d3")).includes("fire:t2"));
      const sendAndCancel = fx.completed("compat/delayed/d3")[0]!.result!.delayedInvocations;
      assert.deepEqual(
        sendAndCancel.map((d) => [d.isCancellationRequest, d.cancellationToken]),
        [
          [false, "t2"],
          [true, "t2"],
        ],
      );
    });

    it("delayed messages: reusing a pending token fails that invocation, the failure is contained (other addresses keep working) and the runtime keeps serving", async () => {
      await eddy.send("compat/delayed/d4", "schedule:500:dup");
      await eddy.send("compat/delayed/d4", "schedule:500:dup"); // token still pending → fails
      // The failed batch is re-sent: the runtime neither dropped it nor applied it.
      await eventually(
        "the failing invocation to be retried",
        () => (fx.completed("compat/delayed/d4").length >= 3 ? true : undefined),
        { timeoutMs: 5_000 },
      );
      // Meanwhile other addresses (same and other function types) are served.
      await eddy.send("compat/counter/alive", "x");
      assert.deepEqual(await eddy.take("counts", 1), ["alive:1"]);
      await eddy.send("compat/delayed/d5", "schedule:10:ok");
      await eddy.expect("delayed", "d5:fired:ok");

      // Once the first "dup" fired, the token is free: the retried invocation commits and fires too.
      const fired = await eddy.take("delayed", 2, 10_000);
      assert.deepEqual(fired, ["d4:fired:dup", "d4:fired:dup"]);
      await eddy.runtime.idle();
      assert.equal(eddy.runtime.pendingDelayedMessages, 0);
      assert.deepEqual(await eddy.drain("delayed"), []);
      const scheduled = texts(fx.completed("compat/delayed/d4")).filter((t) => t === "schedule:500:dup");
      assert.ok(scheduled.length >= 3, `expected the second schedule to be re-sent, saw ${scheduled.length}`);
    });

    it(`state types: compat/types writes every built-in type${lang === "js" ? " the JS SDK has (no long/double)" : ""} incl. zero values and reads them back identically`, async () => {
      const expected =
        lang === "js"
          ? '{"bool":true,"int":42,"float":1.5,"string":"hé","zero_bool":false,"zero_int":0,"zero_string":""}'
          : '{"bool":true,"int":42,"long":1234567890123,"float":1.5,"double":2.25,"string":"hé","zero_bool":false,"zero_int":0,"zero_string":""}';
      await eddy.send("compat/types/v", "write");
      await eddy.send("compat/types/v", "read");
      assert.deepEqual(await eddy.take("types", 1), [expected]);
      // Read again in a batch of its own: now every value comes from the runtime's store.
      await eddy.send("compat/types/v", "read");
      assert.deepEqual(await eddy.take("types", 1), [expected]);

      const lastRead = fx.completed("compat/types/v").at(-1)!;
      const stored = Object.fromEntries(lastRead.states.map((s) => [s.name, [s.typename, s.hasValue, hex(s.value)]]));
      const want: Record<string, [string, boolean, string]> = {
        t_bool: ["io.statefun.types/bool", true, "0801"],
        t_int: [INT, true, "0d2a000000"],
        t_float: ["io.statefun.types/float", true, hex(Types.float.serialize(1.5))],
        t_string: ["io.statefun.types/string", true, hex(Types.string.serialize("hé"))],
        z_bool: ["io.statefun.types/bool", true, ""],
        z_int: [INT, true, ""],
        z_string: ["io.statefun.types/string", true, ""],
      };
      if (lang !== "js") {
        want["t_long"] = ["io.statefun.types/long", true, hex(Types.long.serialize(1234567890123n))];
        want["t_double"] = ["io.statefun.types/double", true, hex(Types.double.serialize(2.25))];
      }
      assert.deepEqual(stored, want, "typenames and bytes as stored; zero values are present with empty bytes");
    });

    it("TTL: compat/ttl `seen` (expireAfterWrite 1000 ms) is readable at once and gone ~1.5 s after the write", async () => {
      await eddy.send("compat/ttl/x", "set:v");
      const written = performance.now();
      await eddy.send("compat/ttl/x", "get");
      assert.deepEqual(await eddy.take("ttl", 1), ["x:v"]);
      const registration = fx.to("compat/ttl/x").find((e) => e.kind === "incomplete");
      assert.deepEqual(specOf(registration?.missing), [
        { name: "seen", typename: "io.statefun.types/string", mode: ExpireMode.AFTER_WRITE, ms: 1000 },
      ]);

      await sleep(Math.max(0, 1500 - (performance.now() - written)));
      await eddy.send("compat/ttl/x", "get");
      assert.deepEqual(await eddy.take("ttl", 1), ["x:none"]);
    });

    it("egress encodings: compat/kafka-egress sends a KafkaProducerRecord to compat/kafka and a KinesisEgressRecord to compat/kinesis", async () => {
      await eddy.send("compat/kafka-egress/k1", "hello é");
      await eventually("the Kafka and Kinesis records", () =>
        eddy.kafka.records.length >= 1 && eddy.kinesis.records.length >= 1 ? true : undefined,
      );
      assert.equal(eddy.kafka.records.length, 1);
      assert.equal(eddy.kinesis.records.length, 1);
      const [kafka] = eddy.kafka.records;
      const [kinesis] = eddy.kinesis.records;
      assert.equal(kafka!.typename, KAFKA_PRODUCER_RECORD_TYPENAME);
      assert.equal(kinesis!.typename, KINESIS_EGRESS_RECORD_TYPENAME);
      const k = decodeKafkaProducerRecord(kafka!.value!);
      assert.deepEqual([k.topic, k.key, Buffer.from(k.valueBytes).toString("utf8")], ["out", "k1", "hello é"]);
      const s = decodeKinesisEgressRecord(kinesis!.value!);
      assert.deepEqual(
        [s.stream, s.partitionKey, Buffer.from(s.valueBytes).toString("utf8"), s.explicitHashKey],
        ["out", "k1", "hello é", ""],
      );
    });
  });
}
