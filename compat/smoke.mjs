#!/usr/bin/env node
// Smoke test for the compatibility-suite function servers (plain Node, no dependencies).
//
//   node compat/smoke.mjs js|python|go|java|all      (all = every language that is built)
//
// For each language it starts the server, POSTs hand-encoded protobuf ToFunction requests
// (request-reply protocol, see shared/statefun-spec.md §1) and checks the decoded FromFunction:
//   1. example/person/Bob with an empty state list -> incomplete_invocation_context (AA 06)
//      naming state `visits` of type io.statefun.types/int
//   2. the same invocation resent with `visits` name-only -> invocation_result (A2 06) with
//      MODIFY visits = IntWrapper(1) and a message to example/greeter/Bob
//   3. example/greeter/Bob -> playground egress record {"topic":"greetings","payload":"Welcome Bob"}
//   4. compat/ttl -> incomplete context with expiration AFTER_WRITE 1000 ms
//   5. compat/types "write" -> mutations byte-equal to spec §2.1, then "read" with those values
//      -> the JSON read back
//   6. counter, caller -> echo -> caller, delayed (send/cancel/schedule-and-cancel/fire),
//      kafka + kinesis egress records, and a batch of 3 invocations of compat/slow
// Exit code 0 when every requested language passed.
import { LANGS, isBuilt, startServer } from "./servers.mjs";

// ---- minimal protobuf encoding ---------------------------------------------------------------
const varint = (n) => {
  let v = BigInt(n);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
};
const tag = (no, wt) => varint((no << 3) | wt);
const len = (no, payload) => Buffer.concat([tag(no, 2), varint(payload.length), payload]);
const str = (no, s) => len(no, Buffer.from(s, "utf8"));
const bool = (no, v) => Buffer.concat([tag(no, 0), varint(v ? 1 : 0)]);
const cat = (...parts) => Buffer.concat(parts.flat());

const address = (ns, type, id) => cat(str(1, ns), str(2, type), str(3, id));
const typedValue = (typename, value) => cat(str(1, typename), bool(2, true), len(3, value));
/** state: [{name, value?: {typename, bytes}}]; invocations: [{typename, bytes, caller?}] */
function toFunction(target, state, invocations) {
  const batch = cat(
    len(1, address(...target)),
    state.map((s) => len(2, cat(str(1, s.name), s.value ? len(2, typedValue(s.value.typename, s.value.bytes)) : []))),
    invocations.map((inv) =>
      len(3, cat(inv.caller ? len(1, address(...inv.caller)) : [], len(2, typedValue(inv.typename, inv.bytes)))),
    ),
  );
  return len(100, batch); // field 100, wire type 2 => A2 06
}
const stringValue = (s) => (s === "" ? Buffer.alloc(0) : len(1, Buffer.from(s, "utf8"))); // StringWrapper

// ---- minimal protobuf decoding ---------------------------------------------------------------
function decode(buf) {
  const fields = new Map();
  let i = 0;
  const readVarint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error("truncated varint");
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const no = key >>> 3;
    const wt = key & 7;
    let value;
    if (wt === 0) value = readVarint();
    else if (wt === 1) (value = buf.subarray(i, i + 8)), (i += 8);
    else if (wt === 5) (value = buf.subarray(i, i + 4)), (i += 4);
    else if (wt === 2) {
      const n = Number(readVarint());
      value = buf.subarray(i, i + n);
      if (value.length !== n) throw new Error("truncated length-delimited field");
      i += n;
    } else throw new Error(`unsupported wire type ${wt}`);
    if (!fields.has(no)) fields.set(no, []);
    fields.get(no).push(value);
  }
  return fields;
}
const one = (f, no) => (f.get(no) || [])[0];
const all = (f, no) => f.get(no) || [];
const s = (b) => (b === undefined ? "" : Buffer.from(b).toString("utf8"));
const decAddress = (b) => {
  const f = decode(b);
  return `${s(one(f, 1))}/${s(one(f, 2))}/${s(one(f, 3))}`;
};
const decTyped = (b) => {
  const f = decode(b);
  return { typename: s(one(f, 1)), hasValue: one(f, 2) === 1n, value: Buffer.from(one(f, 3) || []) };
};

function decodeFromFunction(buf) {
  const top = decode(buf);
  if (top.has(101)) {
    const ctx = decode(one(top, 101));
    return {
      kind: "incomplete",
      missing: all(ctx, 1).map((b) => {
        const f = decode(b);
        const exp = one(f, 2) ? decode(one(f, 2)) : null;
        return {
          name: s(one(f, 1)),
          typename: s(one(f, 3)),
          expiration: exp ? { mode: Number(one(exp, 1) ?? 0n), ms: Number(one(exp, 2) ?? 0n) } : null,
        };
      }),
    };
  }
  if (top.has(100)) {
    const r = decode(one(top, 100));
    return {
      kind: "result",
      mutations: all(r, 1).map((b) => {
        const f = decode(b);
        return { type: Number(one(f, 1) ?? 0n), name: s(one(f, 2)), value: one(f, 3) ? decTyped(one(f, 3)) : null };
      }),
      messages: all(r, 2).map((b) => {
        const f = decode(b);
        return { target: decAddress(one(f, 1)), argument: decTyped(one(f, 2)) };
      }),
      delayed: all(r, 3).map((b) => {
        const f = decode(b);
        return {
          cancel: one(f, 10) === 1n,
          token: s(one(f, 11)),
          delayMs: Number(one(f, 1) ?? 0n),
          target: one(f, 2) ? decAddress(one(f, 2)) : null,
          argument: one(f, 3) ? decTyped(one(f, 3)) : null,
        };
      }),
      egresses: all(r, 4).map((b) => {
        const f = decode(b);
        return { egress: `${s(one(f, 1))}/${s(one(f, 2))}`, argument: decTyped(one(f, 3)) };
      }),
    };
  }
  return { kind: "empty" };
}

// ---- checks ----------------------------------------------------------------------------------
class Check extends Error {}
function expect(cond, what, detail) {
  if (!cond) throw new Check(`${what}${detail === undefined ? "" : `: got ${typeof detail === "string" ? detail : JSON.stringify(detail, (_, v) => (Buffer.isBuffer(v) || v?.type === "Buffer" ? Buffer.from(v.data ?? v).toString("hex") : v))}`}`);
}

async function post(url, body) {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Check(`HTTP ${res.status} from ${url}: ${bytes.toString("utf8").slice(0, 500)}`);
  return bytes;
}

const hex = (b) => Buffer.from(b).toString("hex");
const egressPayload = (e) => {
  expect(e.egress === "io.statefun.playground/egress", "egress id", e.egress);
  expect(e.argument.typename === "io.statefun.playground/EgressRecord", "egress record typename", e.argument.typename);
  return JSON.parse(e.argument.value.toString("utf8"));
};

// Expected TypedValue.value bytes of the compat/types "write" mutations (spec §2.1).
const f32 = (x) => { const b = Buffer.alloc(4); b.writeFloatLE(x); return b; };
const f64 = (x) => { const b = Buffer.alloc(8); b.writeDoubleLE(x); return b; };
const i32 = (x) => { const b = Buffer.alloc(4); b.writeInt32LE(x); return b; };
const i64 = (x) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(x)); return b; };
const TYPES_WRITE = {
  t_bool: ["io.statefun.types/bool", "0801"],
  t_int: ["io.statefun.types/int", "0d" + hex(i32(42))],
  t_long: ["io.statefun.types/long", "09" + hex(i64(1234567890123))],
  t_float: ["io.statefun.types/float", "0d" + hex(f32(1.5))],
  t_double: ["io.statefun.types/double", "09" + hex(f64(2.25))],
  t_string: ["io.statefun.types/string", hex(stringValue("hé"))],
  z_bool: ["io.statefun.types/bool", ""],
  z_int: ["io.statefun.types/int", ""],
  z_string: ["io.statefun.types/string", ""],
};
const TYPES_READ = { bool: true, int: 42, long: 1234567890123, float: 1.5, double: 2.25, string: "hé", zero_bool: false, zero_int: 0, zero_string: "" };
const JS_LACKS = new Set(["t_long", "t_double", "long", "double"]);

async function smoke(lang) {
  const srv = await startServer(lang);
  const steps = [];
  try {
    const url = srv.url;
    const greet = { typename: "example/GreetRequest", bytes: Buffer.from(JSON.stringify({ name: "Bob" })) };

    // 1. empty state list -> incomplete_invocation_context
    const req1 = toFunction(["example", "person", "Bob"], [], [greet]);
    expect(hex(req1.subarray(0, 2)) === "a206", "request prefix");
    const raw1 = await post(url, req1);
    expect(hex(raw1.subarray(0, 2)) === "aa06", "reply starts with aa06 (incomplete_invocation_context)", hex(raw1.subarray(0, 16)));
    const r1 = decodeFromFunction(raw1);
    expect(r1.missing.length === 1 && r1.missing[0].name === "visits", "missing state visits", r1.missing);
    expect(r1.missing[0].typename === "io.statefun.types/int", "visits typename", r1.missing[0].typename);
    expect(!r1.missing[0].expiration || r1.missing[0].expiration.mode === 0, "visits has no TTL", r1.missing[0].expiration);
    steps.push("incomplete(visits:int)");

    // 2. resend with the state declared (no value) -> invocation_result
    const raw2 = await post(url, toFunction(["example", "person", "Bob"], [{ name: "visits" }], [greet]));
    expect(hex(raw2.subarray(0, 2)) === "a206", "reply starts with a206 (invocation_result)", hex(raw2.subarray(0, 16)));
    const r2 = decodeFromFunction(raw2);
    expect(r2.mutations.length === 1, "one mutation", r2.mutations);
    const m = r2.mutations[0];
    expect(m.type === 1 && m.name === "visits" && m.value.typename === "io.statefun.types/int" && m.value.hasValue, "MODIFY visits int", m);
    expect(hex(m.value.value) === "0d01000000", "visits = IntWrapper(1) as sfixed32", hex(m.value.value));
    expect(r2.messages.length === 1 && r2.messages[0].target === "example/greeter/Bob", "message to example/greeter/Bob", r2.messages);
    expect(r2.messages[0].argument.typename === "example/GreetRequest", "GreetRequest typename", r2.messages[0].argument.typename);
    const fwd = JSON.parse(r2.messages[0].argument.value.toString("utf8"));
    expect(fwd.name === "Bob" && fwd.visits === 1, "forwarded request", fwd);
    steps.push("person->greeter");

    // 3. greeter -> playground egress
    const raw3 = await post(url, toFunction(["example", "greeter", "Bob"], [], [{ typename: "example/GreetRequest", bytes: r2.messages[0].argument.value, caller: ["example", "person", "Bob"] }]));
    const r3 = decodeFromFunction(raw3);
    expect(r3.kind === "result" && r3.egresses.length === 1, "one egress", r3);
    const rec = egressPayload(r3.egresses[0]);
    expect(rec.topic === "greetings" && rec.payload === "Welcome Bob", "greeting record", rec);
    steps.push("greeter->egress");

    // 4. TTL spec
    const r4 = decodeFromFunction(await post(url, toFunction(["compat", "ttl", "t"], [], [{ typename: "io.statefun.types/string", bytes: stringValue("get") }])));
    expect(r4.kind === "incomplete" && r4.missing[0]?.name === "seen", "ttl incomplete", r4);
    expect(r4.missing[0].typename === "io.statefun.types/string", "seen typename", r4.missing[0].typename);
    expect(r4.missing[0].expiration?.mode === 1 && r4.missing[0].expiration?.ms === 1000, "seen AFTER_WRITE 1000 ms", r4.missing[0].expiration);
    steps.push("ttl(after_write 1000)");

    // 5. types write -> bytes, read -> JSON
    const want = Object.entries(TYPES_WRITE).filter(([n]) => !(lang === "js" && JS_LACKS.has(n)));
    const names = want.map(([n]) => ({ name: n }));
    const w = decodeFromFunction(await post(url, toFunction(["compat", "types", "x"], names, [{ typename: "io.statefun.types/string", bytes: stringValue("write") }])));
    expect(w.kind === "result", "types write result", w);
    const byName = new Map(w.mutations.map((mu) => [mu.name, mu]));
    for (const [n, [typename, bytes]] of want) {
      const mu = byName.get(n);
      expect(mu && mu.type === 1 && mu.value.typename === typename && mu.value.hasValue, `MODIFY ${n} ${typename} has_value`, mu);
      expect(hex(mu.value.value) === bytes, `${n} bytes`, hex(mu.value.value));
    }
    expect(w.mutations.length === want.length, "mutation count", w.mutations.map((mu) => mu.name));
    const state = w.mutations.map((mu) => ({ name: mu.name, value: { typename: mu.value.typename, bytes: mu.value.value } }));
    const rd = decodeFromFunction(await post(url, toFunction(["compat", "types", "x"], state, [{ typename: "io.statefun.types/string", bytes: stringValue("read") }])));
    const got = JSON.parse(egressPayload(rd.egresses[0]).payload);
    const expected = Object.fromEntries(Object.entries(TYPES_READ).filter(([k]) => !(lang === "js" && JS_LACKS.has(k))));
    expect(JSON.stringify(got) === JSON.stringify(expected), `types read back ${JSON.stringify(expected)}`, got);
    steps.push("types");

    // 6. the other compat/* functions, one request each (after the lazy-state round trip)
    const STR = "io.statefun.types/string";
    const sv = (text, caller) => ({ typename: STR, bytes: stringValue(text), caller });
    const invoke = async (target, invocations, state = []) => {
      let r = decodeFromFunction(await post(url, toFunction(target, state, invocations)));
      if (r.kind === "incomplete") {
        state = [...state, ...r.missing.map((x) => ({ name: x.name }))];
        r = decodeFromFunction(await post(url, toFunction(target, state, invocations)));
      }
      expect(r.kind === "result", `${target.join("/")} result`, r);
      return r;
    };
    const strOf = (tv) => {
      expect(tv.typename === STR, "string typename", tv.typename);
      const f = decode(tv.value);
      return s(one(f, 1));
    };

    const c1 = await invoke(["compat", "counter", "a"], [sv("x")]);
    expect(egressPayload(c1.egresses[0]).payload === "a:1" && egressPayload(c1.egresses[0]).topic === "counts", "counter record", c1.egresses);

    const k1 = await invoke(["compat", "caller", "c"], [sv("go")]);
    expect(k1.messages.length === 1 && k1.messages[0].target === "compat/echo/c" && strOf(k1.messages[0].argument) === "ping", "caller pings echo", k1.messages);
    const k2 = await invoke(["compat", "echo", "c"], [sv("ping", ["compat", "caller", "c"])]);
    expect(k2.messages.length === 1 && k2.messages[0].target === "compat/caller/c" && strOf(k2.messages[0].argument) === "pong", "echo pongs caller", k2.messages);
    const k3 = await invoke(["compat", "caller", "c"], [sv("pong", ["compat", "echo", "c"])]);
    const k3rec = egressPayload(k3.egresses[0]);
    expect(k3rec.topic === "caller" && k3rec.payload === "c:pong from compat/echo/c", "caller record", k3rec);
    steps.push("counter, caller/echo");

    const d1 = await invoke(["compat", "delayed", "d"], [sv("schedule:1500:tk"), sv("cancel:tk"), sv("schedule-and-cancel:t2"), sv("fire:tk")]);
    const dl = d1.delayed.map((x) => (x.cancel ? `cancel ${x.token}` : `send ${x.token} ${x.delayMs} ${x.target} ${strOf(x.argument)}`));
    expect(JSON.stringify(dl) === JSON.stringify(["send tk 1500 compat/delayed/d fire:tk", "cancel tk", "send t2 1000 compat/delayed/d fire:t2", "cancel t2"]), "delayed invocations", dl);
    const drec = egressPayload(d1.egresses[0]);
    expect(drec.topic === "delayed" && drec.payload === "d:fired:tk", "delayed record", drec);
    steps.push("delayed");

    const e1 = await invoke(["compat", "kafka-egress", "k"], [sv("hello")]);
    expect(e1.egresses.length === 2, "two egresses", e1.egresses);
    const [kafka, kinesis] = e1.egresses;
    expect(kafka.egress === "compat/kafka" && kafka.argument.typename === "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord", "kafka egress", kafka);
    const kf = decode(kafka.argument.value);
    expect(s(one(kf, 1)) === "k" && s(one(kf, 2)) === "hello" && s(one(kf, 3)) === "out", "KafkaProducerRecord key/value/topic", [s(one(kf, 1)), s(one(kf, 2)), s(one(kf, 3))]);
    expect(kinesis.egress === "compat/kinesis" && kinesis.argument.typename === "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord", "kinesis egress", kinesis);
    const ki = decode(kinesis.argument.value);
    expect(s(one(ki, 1)) === "k" && s(one(ki, 2)) === "hello" && s(one(ki, 3)) === "out" && !one(ki, 4)?.length, "KinesisEgressRecord partition_key/value/stream", [s(one(ki, 1)), s(one(ki, 2)), s(one(ki, 3))]);
    steps.push("kafka/kinesis egress");

    const t0 = Date.now();
    const sl = await invoke(["compat", "slow", "s"], [sv("a"), sv("b"), sv("c")], [{ name: "n" }]);
    const took = Date.now() - t0;
    const slowPayloads = sl.egresses.map((x) => egressPayload(x).payload);
    expect(JSON.stringify(slowPayloads) === JSON.stringify(["s:1", "s:2", "s:3"]), "slow records", slowPayloads);
    expect(sl.mutations.length === 1 && hex(sl.mutations[0].value.value) === "0d03000000", "slow n = 3", sl.mutations);
    expect(took >= 890, "batch of 3 slow invocations takes >= 900 ms", took);
    steps.push(`slow(batch of 3 in ${took} ms)`);
    return { ok: true, steps };
  } catch (e) {
    return { ok: false, steps, error: e instanceof Check ? e.message : e.stack, output: srv.output() };
  } finally {
    await srv.stop();
  }
}

const arg = process.argv[2] || "all";
const langs = arg === "all" ? LANGS.filter(isBuilt) : [arg];
if (!langs.length) {
  console.error("no language server is built; run compat/setup.sh first");
  process.exit(1);
}
let passed = 0;
let failed = 0;
for (const lang of langs) {
  let r;
  try {
    r = await smoke(lang);
  } catch (e) {
    r = { ok: false, steps: [], error: e.message };
  }
  if (r.ok) {
    passed++;
    console.log(`ok   ${lang}: ${r.steps.join(", ")}`);
  } else {
    failed++;
    console.log(`FAIL ${lang}: after [${r.steps.join(", ")}]: ${r.error}`);
    if (r.output) console.log(`---- ${lang} server output ----\n${r.output.trimEnd()}\n----`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
