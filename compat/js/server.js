"use strict";
// Eddy compatibility suite: function server built on the official StateFun JavaScript SDK
// (npm apache-flink-statefun@3.3.0). The same functions exist in compat/python, compat/go and
// compat/java; see compat/README.md for what each one does.
//
// Usage: PORT=8000 node server.js   (listens on 127.0.0.1:$PORT, every path, prints "READY <port>")

const http = require("http");
const {
  StateFun,
  messageBuilder,
  egressMessageBuilder,
  kafkaEgressMessage,
  kinesisEgressMessage,
} = require("apache-flink-statefun");

const port = Number.parseInt(process.env.PORT || "", 10);
if (!Number.isInteger(port) || port <= 0) {
  console.error("PORT environment variable is required");
  process.exit(2);
}

const GreetRequestType = StateFun.jsonType("example/GreetRequest");
const EgressRecordType = StateFun.jsonType("io.statefun.playground/EgressRecord");
const STRING = StateFun.stringType();
const PLAYGROUND_EGRESS = "io.statefun.playground/egress";

function emit(context, topic, payload) {
  context.send(
    egressMessageBuilder({
      typename: PLAYGROUND_EGRESS,
      value: { topic, payload },
      valueType: EgressRecordType,
    }),
  );
}

function sendString(context, typename, id, value) {
  context.send(messageBuilder({ typename, id, value, valueType: STRING }));
}

// Same texts as the flink-statefun-playground greeter examples (JavaScript/Python versions).
function computeGreeting(name, seen) {
  if (seen === 1) return `Welcome ${name}`;
  if (seen === 2) return `Nice to see you again ${name}`;
  if (seen === 3) return `Third time is a charm ${name}`;
  return `Nice to see you at the ${seen}-nth time ${name}!`;
}

const statefun = new StateFun();

// 1. playground greeter ------------------------------------------------------------------------
statefun.bind({
  typename: "example/person",
  specs: [{ name: "visits", type: StateFun.intType() }],
  fn(context, message) {
    const visits = (context.storage.visits || 0) + 1;
    context.storage.visits = visits;
    const request = message.as(GreetRequestType);
    request.visits = visits;
    context.send(
      messageBuilder({
        typename: "example/greeter",
        id: request.name,
        value: request,
        valueType: GreetRequestType,
      }),
    );
  },
});

statefun.bind({
  typename: "example/greeter",
  fn(context, message) {
    const request = message.as(GreetRequestType);
    emit(context, "greetings", computeGreeting(request.name, request.visits));
  },
});

// 2. counter -----------------------------------------------------------------------------------
statefun.bind({
  typename: "compat/counter",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context) {
    const count = (context.storage.count || 0) + 1;
    context.storage.count = count;
    emit(context, "counts", `${context.self.id}:${count}`);
  },
});

// 3. ttl ---------------------------------------------------------------------------------------
statefun.bind({
  typename: "compat/ttl",
  specs: [{ name: "seen", type: STRING, expireAfterWrite: 1000 }],
  fn(context, message) {
    const text = message.asString();
    if (text.startsWith("set:")) {
      context.storage.seen = text.slice(4);
    } else if (text === "get") {
      const v = context.storage.seen;
      emit(context, "ttl", `${context.self.id}:${v === null || v === undefined ? "none" : v}`);
    }
  },
});

// 4. caller / echo -----------------------------------------------------------------------------
statefun.bind({
  typename: "compat/caller",
  fn(context, message) {
    const caller = context.caller;
    if (!caller) {
      sendString(context, "compat/echo", context.self.id, "ping");
      return;
    }
    emit(
      context,
      "caller",
      `${context.self.id}:${message.asString()} from ${caller.namespace}/${caller.name}/${caller.id}`,
    );
  },
});

statefun.bind({
  typename: "compat/echo",
  fn(context) {
    const caller = context.caller;
    if (caller) sendString(context, caller.typename, caller.id, "pong");
  },
});

// 5. delayed -----------------------------------------------------------------------------------
const SCHEDULE_AND_CANCEL_DELAY_MS = 1000;
statefun.bind({
  typename: "compat/delayed",
  fn(context, message) {
    const text = message.asString();
    if (text.startsWith("schedule:")) {
      const rest = text.slice("schedule:".length);
      const i = rest.indexOf(":");
      const ms = Number.parseInt(rest.slice(0, i), 10);
      const token = rest.slice(i + 1);
      context.sendAfter(
        ms,
        messageBuilder({ typename: "compat/delayed", id: context.self.id, value: `fire:${token}`, valueType: STRING }),
        token,
      );
    } else if (text.startsWith("schedule-and-cancel:")) {
      const token = text.slice("schedule-and-cancel:".length);
      context.sendAfter(
        SCHEDULE_AND_CANCEL_DELAY_MS,
        messageBuilder({ typename: "compat/delayed", id: context.self.id, value: `fire:${token}`, valueType: STRING }),
        token,
      );
      context.cancelDelayedMessage(token);
    } else if (text.startsWith("cancel:")) {
      context.cancelDelayedMessage(text.slice("cancel:".length));
    } else if (text.startsWith("fire:")) {
      emit(context, "delayed", `${context.self.id}:fired:${text.slice("fire:".length)}`);
    }
  },
});

// 6. types (the JS SDK has no long/double types) ----------------------------------------------
statefun.bind({
  typename: "compat/types",
  specs: [
    { name: "t_bool", type: StateFun.booleanType() },
    { name: "t_int", type: StateFun.intType() },
    { name: "t_float", type: StateFun.floatType() },
    { name: "t_string", type: STRING },
    { name: "z_bool", type: StateFun.booleanType() },
    { name: "z_int", type: StateFun.intType() },
    { name: "z_string", type: STRING },
  ],
  fn(context, message) {
    const text = message.asString();
    const s = context.storage;
    if (text === "write") {
      s.t_bool = true;
      s.t_int = 42;
      s.t_float = 1.5;
      s.t_string = "hé";
      s.z_bool = false;
      s.z_int = 0;
      s.z_string = "";
    } else if (text === "read") {
      const orNull = (v) => (v === undefined ? null : v);
      const out = {
        bool: orNull(s.t_bool),
        int: orNull(s.t_int),
        float: orNull(s.t_float),
        string: orNull(s.t_string),
        zero_bool: orNull(s.z_bool),
        zero_int: orNull(s.z_int),
        zero_string: orNull(s.z_string),
      };
      emit(context, "types", JSON.stringify(out));
    }
  },
});

// 7. kafka / kinesis egress --------------------------------------------------------------------
statefun.bind({
  typename: "compat/kafka-egress",
  fn(context, message) {
    const value = message.asString();
    const id = context.self.id;
    context.send(kafkaEgressMessage({ typename: "compat/kafka", topic: "out", key: id, value }));
    context.send(
      kinesisEgressMessage({ typename: "compat/kinesis", stream: "out", partitionKey: id, value }),
    );
  },
});

// 8. slow --------------------------------------------------------------------------------------
statefun.bind({
  typename: "compat/slow",
  specs: [{ name: "n", type: StateFun.intType() }],
  async fn(context) {
    const n = (context.storage.n || 0) + 1;
    context.storage.n = n;
    await new Promise((resolve) => setTimeout(resolve, 300));
    emit(context, "slow", `${context.self.id}:${n}`);
  },
});

// 9. ledger (only in this server: the operability scenario in compat/test/quarantine.test.ts) -----
// Appends each message to its `entries` list. The ids listed in COMPAT_LEDGER_FAILING_IDS (comma
// separated) throw instead ("the bug"): the SDK answers 500. Restarting the server without that
// variable is the fix being deployed.
const LEDGER_FAILING_IDS = new Set((process.env.COMPAT_LEDGER_FAILING_IDS || "").split(",").filter((id) => id !== ""));
const EntriesType = StateFun.jsonType("compat/Entries");
statefun.bind({
  typename: "compat/ledger",
  specs: [{ name: "entries", type: EntriesType }],
  fn(context, message) {
    const text = message.asString();
    if (LEDGER_FAILING_IDS.has(context.self.id)) throw new Error(`cannot book ${text} for ${context.self.id}`);
    context.storage.entries = [...(context.storage.entries || []), text];
  },
});

const server = http.createServer(statefun.handler());
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`READY ${port}\n`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
