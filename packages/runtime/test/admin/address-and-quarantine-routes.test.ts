import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { address, defineFunction, jsonType, message, rawType, Types } from "@eddy/sdk";
import { createRuntimeAdmin, ManualClock, QuarantinePolicy, Runtime, silentLogger } from "@eddy/runtime";
import { deferred, str, until } from "../runtime/helpers.js";

const Profile = jsonType<{ name: string; tags: string[] }>("test/Profile");
const Blob = rawType("test/Blob");

interface Preview {
  typename: string;
  encoding: string;
  value: unknown;
  size: number;
  expiresAt?: string | null;
  caller?: string | null;
}
interface QuarantineItem {
  address: string;
  message: Preview;
  error: { code: string; message: string; retryable: boolean };
  attempts: number;
  waiting: number;
  firstFailureAt: string;
  lastFailureAt: string;
}
/** Every answer shape these tests read (the admin API's schemas, loosely). */
interface Body {
  error: { code: string; message: string };
  address: string;
  id: string;
  action: string;
  message: Preview;
  state: Record<string, Preview>;
  backlog: number;
  timers: unknown[];
  quarantine: QuarantineItem | null;
  items: (QuarantineItem & { id: string })[];
  nextCursor: string | null;
  paths: Record<string, Record<string, { parameters: { name: string }[] }>>;
  components: { schemas: Record<string, unknown> };
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: Body }> {
  const res = await fetch(url, init);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return { status: res.status, body: (await res.json()) as Body };
}

function rawRequest(port: number, path: string): Promise<{ status: number; body: Body }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function started() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const stuck = deferred();
  const runtime = new Runtime({ logger: silentLogger(), clock, retryPolicy: { initialDelayMs: 10, maxDelayMs: 10 }, quarantine: new QuarantinePolicy(2) });
  runtime.bindFunction(
    defineFunction({
      typename: "test/user",
      state: { visits: Types.int, profile: Profile, avatar: Blob, note: { type: Types.string, expireAfterWrite: 60_000 } },
      async fn(ctx, msg) {
        const text = msg.asString();
        if (text === "poison") throw new Error("no such user");
        if (text === "hang") await stuck.promise;
        ctx.storage.visits = (ctx.storage.visits ?? 0) + 1;
        ctx.storage.profile = { name: ctx.self.id, tags: ["a", "b"] };
        ctx.storage.avatar = new Uint8Array([0, 159, 146, 150]);
        ctx.storage.note = "hello";
        if (text === "remind") ctx.sendAfter(30_000, message({ to: ctx.self, value: "reminder", type: Types.string }), "tok");
      },
    }),
  );
  const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
  await admin.start();
  await runtime.start();
  return { runtime, admin, clock, stuck };
}

describe("admin API: addresses", () => {
  it("shows an address's state decoded (built-in and JSON types as JSON, others base64, with expiry), its timers, and 404 for one never seen", async () => {
    const { runtime, admin, clock, stuck } = await started();
    try {
      await runtime.send(address("test/user", "ann"), str("remind"));
      await runtime.idle();
      const { status, body } = await get(`${admin.url}/v1/addresses/test/user/ann`);
      assert.equal(status, 200);
      assert.equal(body.address, "test/user/ann");
      assert.deepEqual(body.state["visits"], { typename: "io.statefun.types/int", encoding: "json", value: 1, size: Types.int.serialize(1).length, expiresAt: null });
      assert.deepEqual(body.state["profile"]!.value, { name: "ann", tags: ["a", "b"] });
      assert.equal(body.state["profile"]!.encoding, "json");
      assert.deepEqual(body.state["avatar"], { typename: "test/Blob", encoding: "base64", value: "AJ+Slg==", size: 4, expiresAt: null });
      assert.equal(body.state["note"]!.expiresAt, new Date(clock.now() + 60_000).toISOString());
      assert.equal(body.backlog, 0);
      assert.deepEqual(body.timers, [
        {
          dueAt: new Date(clock.now() + 30_000).toISOString(),
          cancellationToken: "tok",
          target: "test/user/ann",
          message: { typename: "io.statefun.types/string", encoding: "json", value: "reminder", size: Types.string.serialize("reminder").length },
        },
      ]);
      assert.equal(body.quarantine, null);

      const never = await get(`${admin.url}/v1/addresses/test/user/nobody`);
      assert.equal(never.status, 404);
      assert.equal(never.body.error.code, "EDDY_ADDRESS_NOT_FOUND");

      // An address with only messages waiting is found, with its backlog; ids with "/" are percent-encoded.
      await runtime.send(address("test/user", "b/c"), str("hang"));
      await runtime.send(address("test/user", "b/c"), str("next"));
      await until(() => runtime.pendingMessages === 2, "two messages pending");
      const waiting = await get(`${admin.url}/v1/addresses/test/user/${encodeURIComponent("b/c")}`);
      assert.equal(waiting.status, 200);
      assert.equal(waiting.body.id, "b/c");
      assert.equal(waiting.body.backlog, 2);
      assert.deepEqual(waiting.body.state, {});
      stuck.resolve();
      await runtime.idle();
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });

  it("answers 400 naming the wrong part of a malformed address", async () => {
    const { runtime, admin } = await started();
    try {
      const slashInNamespace = await rawRequest(admin.port, "/v1/addresses/te%2Fst/user/x");
      assert.equal(slashInNamespace.status, 400);
      assert.equal(slashInNamespace.body.error.code, "EDDY_INVALID_ADDRESS");
      assert.match(slashInNamespace.body.error.message, /namespace "te\/st" contains "\/"/);
      const longId = await rawRequest(admin.port, `/v1/addresses/test/user/${"x".repeat(1100)}`);
      assert.equal(longId.status, 400);
      assert.match(longId.body.error.message, /id: address id of 1100 bytes is longer than the limit/);
      const tooShort = await get(`${admin.url}/v1/addresses/test/user`);
      assert.equal(tooShort.status, 404, "an incomplete path is no endpoint");
      // Empty parts are malformed addresses, not unknown endpoints.
      for (const [path, problem] of [
        ["/v1/addresses/test/user/", "id is empty"],
        ["/v1/addresses//user/x", "namespace is empty"],
        ["/v1/addresses/test//x", "type is empty"],
      ] as const) {
        const empty = await rawRequest(admin.port, path);
        assert.deepEqual([empty.status, empty.body.error.code], [400, "EDDY_INVALID_ADDRESS"], path);
        assert.match(empty.body.error.message, new RegExp(`^malformed address in the path: ${problem}`), path);
      }
      for (const verb of ["retry", "drop"]) {
        const empty = await get(`${admin.url}/v1/quarantine/test/user//${verb}`, { method: "POST" });
        assert.deepEqual([empty.status, empty.body.error.message], [400, "malformed address in the path: id is empty"]);
      }
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });

  it("lists addresses with state a page at a time, per function type, and names a bad query parameter", async () => {
    const { runtime, admin } = await started();
    try {
      for (const id of ["d", "a", "c", "b", "e"]) await runtime.send(address("test/user", id), str("hi"));
      await runtime.idle();
      const seen: string[] = [];
      let cursor: string | null = "";
      while (cursor !== null) {
        const page = await get(`${admin.url}/v1/addresses?function_type=test/user&limit=2&cursor=${cursor}`);
        assert.equal(page.status, 200);
        assert.ok(page.body.items.length <= 2);
        seen.push(...page.body.items.map((i) => i.id));
        cursor = page.body.nextCursor;
      }
      assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
      const all = { held: Array.from({ length: runtime.partitionCount }, (_, p) => p), of: runtime.partitionCount };
      assert.deepEqual((await get(`${admin.url}/v1/addresses?function_type=other/fn`)).body, { items: [], nextCursor: null, partitions: all }, "the embedded mode lists every partition");
      assert.equal((await get(`${admin.url}/v1/addresses`)).body.items.length, 5);
      for (const [query, named] of [
        ["limit=0", /limit "0"/],
        ["limit=x", /limit "x"/],
        ["function_type=nope", /function_type "nope"/],
        ["cursor=zzz", /cursor "zzz"/],
      ] as const) {
        const bad = await get(`${admin.url}/v1/addresses?${query}`);
        assert.equal(bad.status, 400, query);
        assert.equal(bad.body.error.code, "EDDY_ADMIN_BAD_REQUEST");
        assert.match(bad.body.error.message, named);
      }
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });
});

describe("admin API: quarantine", () => {
  it("lists a parked address with its message, error and waiting count; retry and drop release it once, then answer 404", async () => {
    const { runtime, admin, clock } = await started();
    try {
      const bob = address("test/user", "bob");
      await runtime.send(bob, str("poison"));
      await runtime.send(bob, str("after"));
      for (let i = 0; i < 100 && runtime.quarantined().length === 0; i++) {
        clock.advance(10);
        await new Promise((r) => setImmediate(r));
      }
      const list = await get(`${admin.url}/v1/quarantine`);
      assert.equal(list.status, 200);
      assert.equal(list.body.items.length, 1);
      const item = list.body.items[0]!;
      assert.equal(item.address, "test/user/bob");
      assert.deepEqual(item.message, { typename: "io.statefun.types/string", encoding: "json", value: "poison", size: Types.string.serialize("poison").length, caller: null });
      assert.deepEqual(item.error, { code: "EDDY_FUNCTION_FAILED", message: "no such user", retryable: true });
      assert.equal(item.attempts, 2);
      assert.equal(item.waiting, 1);
      assert.ok(Date.parse(item.firstFailureAt) <= Date.parse(item.lastFailureAt));
      const metrics = await (await fetch(`${admin.url}/metrics`)).text();
      assert.match(metrics, /^eddy_quarantined_addresses 1$/m, "the gauge counts the parked address");
      const inspected = await get(`${admin.url}/v1/addresses/test/user/bob`);
      assert.equal(inspected.body.backlog, 2, "the parked message and the one behind it");
      assert.equal(inspected.body.quarantine?.address, "test/user/bob");

      const dropped = await get(`${admin.url}/v1/quarantine/test/user/bob/drop`, { method: "POST" });
      assert.equal(dropped.status, 200);
      assert.deepEqual(dropped.body, { address: "test/user/bob", action: "dropped", message: item.message });
      const again = await get(`${admin.url}/v1/quarantine/test/user/bob/drop`, { method: "POST" });
      assert.equal(again.status, 404);
      assert.equal(again.body.error.code, "EDDY_NOT_QUARANTINED");
      assert.equal((await get(`${admin.url}/v1/quarantine/test/user/bob/retry`, { method: "POST" })).status, 404);
      await runtime.idle();
      assert.equal((await get(`${admin.url}/v1/addresses/test/user/bob`)).body.state["visits"]!.value, 1, "only 'after' applied");
      assert.deepEqual((await get(`${admin.url}/v1/quarantine`)).body, { items: [] });
      assert.equal((await get(`${admin.url}/v1/quarantine/test/user/bob/retry`)).status, 405);
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });

  it("documents every endpoint in /openapi.json", async () => {
    const { runtime, admin } = await started();
    try {
      const doc = (await get(`${admin.url}/openapi.json`)).body;
      for (const path of [
        "/healthz",
        "/openapi.json",
        "/readyz",
        "/v1/addresses",
        "/v1/addresses/{namespace}/{type}/{id}",
        "/v1/quarantine",
        "/v1/quarantine/{namespace}/{type}/{id}/drop",
        "/v1/quarantine/{namespace}/{type}/{id}/retry",
      ]) {
        assert.ok(doc.paths[path], path);
      }
      assert.deepEqual(doc.paths["/v1/addresses/{namespace}/{type}/{id}"]!["get"]!.parameters.map((p) => p.name), ["namespace", "type", "id"]);
      for (const schema of ["Address", "AddressList", "Quarantine", "QuarantineList", "QuarantineAction", "Error"]) assert.ok(doc.components.schemas[schema], schema);
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });
});
