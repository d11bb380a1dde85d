import { address, PLAYGROUND_EGRESS_ID } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import type { RuntimeOptions, StateStore } from "@eddy/runtime";
import { PlaygroundEgress, Runtime, silentLogger } from "@eddy/runtime";
import { greeter, GreetRequestType } from "../examples/greeter/greeter.js";

/** Extra set-up of a benchmark's runtime: its options, and work running beside it (stopped before the runtime). */
export interface BenchRuntimeOptions {
  readonly runtime?: RuntimeOptions;
  readonly whileRunning?: (runtime: Runtime) => Promise<() => Promise<void>>;
}

export interface InProcessResult {
  readonly messages: number;
  readonly keys: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
}

/**
 * (a) The embedded greeter with no HTTP: messages go straight into the
 * runtime's log; the clock stops when the last greeting reaches the egress.
 */
export async function benchGreeterInProcess(
  messages: number,
  keys: number,
  store?: StateStore,
  options: BenchRuntimeOptions = {},
): Promise<InProcessResult> {
  const runtime = new Runtime({ logger: silentLogger(), ...options.runtime, ...(store === undefined ? {} : { store }) });
  const playground = new PlaygroundEgress({ port: 0, topics: ["greetings"], capacity: messages + 1 });
  let delivered = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  runtime.bindFunction(greeter);
  runtime.bindEgress({
    id: PLAYGROUND_EGRESS_ID,
    check: (record) => playground.check(record),
    deliver(records: readonly TypedValue[], ids: readonly number[]) {
      playground.deliver(records, ids);
      delivered += records.length;
      if (delivered >= messages) done();
    },
    describe: () => "counting playground egress",
  });
  await runtime.start();
  const stopExtra = options.whileRunning === undefined ? undefined : await options.whileRunning(runtime);

  const targets = Array.from({ length: keys }, (_, k) => address("apache/greeter", `user-${k}`));
  const values = targets.map((t) => ({ typename: GreetRequestType.typename, value: GreetRequestType.serialize({ who: t.id }) }));
  const started = performance.now();
  // Several producers at once, as several ingress connections would be: with a
  // durable store each accept waits for its group commit, and one producer alone
  // would measure fsync latency rather than throughput.
  const chunk = 1024;
  const producers = 8;
  let next = 0;
  const produce = async () => {
    while (next < messages) {
      const start = next;
      next = Math.min(messages, next + chunk);
      const batch = [];
      for (let i = start; i < next; i++) {
        const k = i % keys;
        batch.push({ target: targets[k]!, argument: values[k]! });
      }
      await runtime.accept(batch);
    }
  };
  await Promise.all(Array.from({ length: producers }, produce));
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await stopExtra?.();
  await runtime.stop();
  return { messages, keys, seconds, messagesPerSecond: messages / seconds };
}
