// Shared by the compat suite: Eddy in-process (built from compat/module.yaml.template, exactly what
// `eddy run` does), the playground ingress/egress driven over HTTP as a user would with curl, a
// recording HTTP proxy between Eddy and the SDK server, and in-code stand-ins for the Kafka and
// Kinesis egresses (whose I/O Eddy does not implement yet).

import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  decodeFromFunction,
  decodeToFunction,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
} from "@eddy/protocol";
import type { FromFunction_InvocationResponse, FromFunction_PersistedValueSpec } from "@eddy/protocol";
import { buildRuntime, parseModuleYaml, silentLogger } from "@eddy/runtime";
import type { Egress, Runtime, StateStore } from "@eddy/runtime";
import { Types } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import { COMPAT_DIR, freePort, renderTemplate } from "../servers.mjs";

export const STRING_TYPENAME = "io.statefun.types/string";

// ---- polling ------------------------------------------------------------------------------------

/** Polls `probe` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 10_000, everyMs = 20 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---- recording proxy ----------------------------------------------------------------------------

export interface SeenState {
  readonly name: string;
  /** Unset when the runtime sent a name-only entry (no value yet). */
  readonly typename: string | undefined;
  readonly hasValue: boolean;
  readonly value: Uint8Array;
}

export interface SeenInvocation {
  /** `namespace/type/id` of the caller, or undefined (ingress). */
  readonly caller: string | undefined;
  readonly typename: string;
  /** The argument as text: the unwrapped string for io.statefun.types/string, else the UTF-8 bytes. */
  readonly text: string;
}

/** One POST from Eddy to the function server, and what came back. */
export interface Exchange {
  /** `namespace/type/id` */
  readonly target: string;
  readonly states: readonly SeenState[];
  readonly invocations: readonly SeenInvocation[];
  /** Filled when the function server answered (or failed: status 0). */
  status?: number;
  kind?: "result" | "incomplete" | "empty" | "unparsable" | "failed";
  missing?: readonly FromFunction_PersistedValueSpec[];
  result?: FromFunction_InvocationResponse;
}

function addressText(a: { namespace: string; type: string; id: string } | undefined): string | undefined {
  return a === undefined ? undefined : `${a.namespace}/${a.type}/${a.id}`;
}

function argumentText(typename: string, value: Uint8Array): string {
  if (typename === STRING_TYPENAME) return Types.string.deserialize(value);
  return Buffer.from(value).toString("utf8");
}

/**
 * A real HTTP proxy: module.yaml points Eddy's endpoint at it, and it forwards every request to
 * `upstream` (the SDK server), decoding the ToFunction it forwards and the FromFunction it returns.
 * An upstream connection failure resets the runtime's connection, as a dead server would.
 */
export class RecordingProxy {
  readonly exchanges: Exchange[] = [];
  upstream: URL;
  readonly #server: http.Server;
  readonly #agent = new http.Agent({ keepAlive: true });

  private constructor(upstream: string) {
    this.upstream = new URL(upstream);
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 60_000;
  }

  static async start(upstream: string): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(upstream);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Exchanges whose target is `address` (`namespace/type/id`), in request order. */
  to(address: string): Exchange[] {
    return this.exchanges.filter((e) => e.target === address);
  }

  /** Exchanges to `address` that ended with an InvocationResponse. */
  completed(address: string): Exchange[] {
    return this.to(address).filter((e) => e.kind === "result");
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const exchange = this.#record(body);
      const fwd = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          path: this.upstream.pathname + this.upstream.search,
          method: req.method,
          agent: this.#agent,
          headers: {
            "content-type": req.headers["content-type"] ?? "application/octet-stream",
            "content-length": String(body.length),
          },
        },
        (up) => {
          const back: Buffer[] = [];
          up.on("data", (c: Buffer) => back.push(c));
          up.on("end", () => {
            const answer = Buffer.concat(back);
            exchange.status = up.statusCode ?? 0;
            this.#recordAnswer(exchange, answer);
            res.writeHead(up.statusCode ?? 502, {
              "content-type": up.headers["content-type"] ?? "application/octet-stream",
              "content-length": String(answer.length),
            });
            res.end(answer);
          });
        },
      );
      fwd.on("error", () => {
        exchange.status = 0;
        exchange.kind = "failed";
        res.destroy();
      });
      fwd.end(body);
    });
  }

  #record(body: Buffer): Exchange {
    let exchange: Exchange = { target: "?", states: [], invocations: [] };
    try {
      const tf = decodeToFunction(body);
      if (tf.request.case === "invocation") {
        const batch = tf.request.value;
        exchange = {
          target: addressText(batch.target) ?? "?",
          states: batch.state.map((s) => ({
            name: s.stateName,
            typename: s.stateValue?.typename,
            hasValue: s.stateValue?.hasValue ?? false,
            value: s.stateValue?.value ?? new Uint8Array(0),
          })),
          invocations: batch.invocations.map((i) => ({
            caller: addressText(i.caller),
            typename: i.argument?.typename ?? "",
            text: argumentText(i.argument?.typename ?? "", i.argument?.value ?? new Uint8Array(0)),
          })),
        };
      }
    } catch {
      // recorded with target "?"; the SDK server will answer it however it does
    }
    this.exchanges.push(exchange);
    return exchange;
  }

  #recordAnswer(exchange: Exchange, answer: Buffer): void {
    if (exchange.status === undefined || exchange.status < 200 || exchange.status > 299) {
      exchange.kind = "failed";
      return;
    }
    try {
      const ff = decodeFromFunction(answer);
      switch (ff.response.case) {
        case "invocationResult":
          exchange.kind = "result";
          exchange.result = ff.response.value;
          break;
        case "incompleteInvocationContext":
          exchange.kind = "incomplete";
          exchange.missing = ff.response.value.missingValues;
          break;
        default:
          exchange.kind = "empty";
      }
    } catch {
      exchange.kind = "unparsable";
    }
  }
}

// ---- Kafka / Kinesis egress stand-ins -------------------------------------------------------------

export interface CapturingEgress extends Egress {
  readonly records: TypedValue[];
}

/** An egress bound in code under `id` that keeps the records it gets; accepts only `typename`. */
export function capturingEgress(id: string, typename: string): CapturingEgress {
  const records: TypedValue[] = [];
  return {
    id,
    records,
    check: (record) =>
      record.typename === typename ? undefined : `egress ${id} takes only ${typename}, got ${record.typename}`,
    deliver: (batch) => {
      records.push(...batch);
    },
    describe: () => `test egress ${id} (keeps records in memory)`,
  };
}

// ---- Eddy ------------------------------------------------------------------------------------------

export interface Eddy {
  readonly runtime: Runtime;
  readonly ingressPort: number;
  readonly egressPort: number;
  readonly kafka: CapturingEgress;
  readonly kinesis: CapturingEgress;
  /** PUT to the playground ingress, as `curl -X PUT -H "Content-Type: …" -d … /ns/type/id`; returns the status. */
  put(pathname: string, body: Uint8Array | string, contentType: string): Promise<number>;
  /** Sends a string message (io.statefun.types/string, wrapped as the SDKs expect) to `ns/type/id`. */
  send(address: string, text: string): Promise<void>;
  /** GET /<topic> on the playground egress: pops one message. */
  pop(topic: string): Promise<{ status: number; text: string }>;
  /** Pops every message of `topic` available now into its buffer and returns the buffer (not consumed). */
  drain(topic: string): Promise<string[]>;
  /** Waits until `topic`'s buffer holds `n` messages (popping as they come), removes and returns them. */
  take(topic: string, n: number, timeoutMs?: number): Promise<string[]>;
  /** Waits until a message equal to `payload` arrives on `topic`, removes it from the buffer. */
  expect(topic: string, payload: string, timeoutMs?: number): Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts Eddy from compat/module.yaml.template with every function endpoint at
 * `http://127.0.0.1:<functionPort>/statefun`, on free playground ports, plus in-code egresses
 * `compat/kafka` and `compat/kinesis`. Without `store`, state is kept in memory.
 */
export async function startEddy(functionPort: number, options: { store?: StateStore } = {}): Promise<Eddy> {
  const ingressPort = await freePort();
  const egressPort = await freePort();
  const text = renderTemplate("module.yaml.template", {
    PORT: functionPort,
    INGRESS_PORT: ingressPort,
    EGRESS_PORT: egressPort,
  });
  const runtime = await buildRuntime(parseModuleYaml(text, path.join(COMPAT_DIR, "module.yaml")), {
    logger: silentLogger(),
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  const kafka = capturingEgress("compat/kafka", KAFKA_PRODUCER_RECORD_TYPENAME);
  const kinesis = capturingEgress("compat/kinesis", KINESIS_EGRESS_RECORD_TYPENAME);
  runtime.bindEgress(kafka);
  runtime.bindEgress(kinesis);
  await runtime.start();

  const buffers = new Map<string, string[]>();
  const bufferOf = (topic: string) => {
    let b = buffers.get(topic);
    if (b === undefined) buffers.set(topic, (b = []));
    return b;
  };

  const put = async (pathname: string, body: Uint8Array | string, contentType: string) => {
    const res = await fetch(`http://127.0.0.1:${ingressPort}${pathname}`, {
      method: "PUT",
      headers: { "Content-Type": contentType },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  };
  const pop = async (topic: string) => {
    const res = await fetch(`http://127.0.0.1:${egressPort}/${topic}`);
    return { status: res.status, text: await res.text() };
  };
  const drain = async (topic: string) => {
    const buffer = bufferOf(topic);
    for (;;) {
      const { status, text } = await pop(topic);
      if (status === 404) return buffer;
      if (status !== 200) throw new Error(`GET /${topic} on the playground egress answered ${status}: ${text}`);
      buffer.push(text);
    }
  };

  return {
    runtime,
    ingressPort,
    egressPort,
    kafka,
    kinesis,
    put,
    async send(address, value) {
      const status = await put(`/${address}`, Types.string.serialize(value), `application/vnd.${STRING_TYPENAME}`);
      if (status !== 200) throw new Error(`PUT /${address} answered ${status}`);
    },
    pop,
    drain,
    async take(topic, n, timeoutMs = 10_000) {
      let seen: string[] = [];
      try {
        await eventually(
          `${n} message(s) on topic ${topic}`,
          async () => ((seen = await drain(topic)).length >= n ? true : undefined),
          { timeoutMs },
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; got ${JSON.stringify(seen)}`);
      }
      return bufferOf(topic).splice(0, n);
    },
    async expect(topic, payload, timeoutMs = 10_000) {
      let seen: string[] = [];
      try {
        await eventually(
          `${JSON.stringify(payload)} on topic ${topic}`,
          async () => ((seen = await drain(topic)).includes(payload) ? true : undefined),
          { timeoutMs },
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; got ${JSON.stringify(seen)}`);
      }
      const buffer = bufferOf(topic);
      buffer.splice(buffer.indexOf(payload), 1);
    },
    async stop(timeoutMs = 5_000) {
      await runtime.stop({ timeoutMs });
    },
  };
}
