import { EddyError, PLAYGROUND_EGRESS_ID, PlaygroundEgressRecordType, address, formatAddress } from "@eddy/sdk";
import type { Address, EddyModule, StateDeclarations, StatefulFunction, Type, TypedValue } from "@eddy/sdk";
import { EndpointPools, Runtime, createLogger, embeddedInvoker, remoteInvoker, silentLogger } from "@eddy/runtime";
import type { AddressEvent, FunctionInvoker } from "@eddy/runtime";
import type { CapturedMessage } from "./captured-message.js";
import { CapturingEgress } from "./capturing-egress.js";
import { recordingInvoker } from "./recording-invoker.js";
import type { InvocationObserver } from "./recording-invoker.js";
import { RemoteFunctionServer } from "./remote-function-server.js";
import { failureOfAddressEvent } from "./invocation-failure.js";
import type { InvocationFailure } from "./invocation-failure.js";
import { decodeDeclared, decodeUntyped } from "./state-values.js";
import type { StateValues } from "./state-values.js";
import { VirtualClock } from "./virtual-clock.js";

export interface TestRuntimeOptions {
  /** Functions run embedded, as `io.eddy.functions.v1/embedded` runs them. */
  readonly functions?: readonly StatefulFunction[];
  /**
   * Functions served by `@eddy/sdk`'s `nodeHttpHandler` on a loopback port of
   * this process and called over HTTP with the request-reply protocol, as a
   * remote endpoint (`io.statefun.endpoints.v2/http`) would be.
   */
  readonly remoteFunctions?: readonly StatefulFunction[];
  /** Modules made with `defineModule`, applied as an embedded module file applies them. */
  readonly modules?: readonly EddyModule[];
  /** Egress ids whose records are captured, besides the playground egress (always captured). */
  readonly egresses?: readonly string[];
  /** Virtual time at the start, epoch ms. Default 2026-01-01T00:00:00Z. */
  readonly startTime?: number;
  /** Partitions of the message log. Default 4. */
  readonly partitions?: number;
  /** Receives the runtime's log lines (JSON) at this level and above; default: none are shown. */
  readonly log?: { readonly level: "debug" | "info" | "warn" | "error"; write(line: string): void };
}

const DEFAULT_START = Date.UTC(2026, 0, 1);
/** Real time without progress after which pending work is taken to be stuck on failed addresses. */
const QUIET_MS = 100;

function failureError(failures: readonly InvocationFailure[]): EddyError {
  const lines = failures.map(
    (f) =>
      `invocation of ${f.address} failed (attempt ${f.attempt}${f.code === undefined ? "" : `, ${f.code}`}): ${f.message}. ` +
      (f.parked
        ? "Its message is parked (quarantined) with the messages behind it; runtime.retryQuarantined or dropQuarantined releases it."
        : `Its messages are kept and retried at virtual time ${f.retryAt} (advanceTime to get there).`),
  );
  return new EddyError("EDDY_INVOCATION_FAILED", lines.join("\n"));
}

function toAddress(target: string | Address): Address {
  if (typeof target !== "string") return target;
  const first = target.indexOf("/");
  const second = first < 0 ? -1 : target.indexOf("/", first + 1);
  if (second < 0 || second === target.length - 1) {
    throw new EddyError("EDDY_INVALID_ADDRESS", `"${target}" is not an address: use "namespace/name/id"`);
  }
  return address(target.slice(0, second), target.slice(second + 1));
}

function isType(x: unknown): x is Type<unknown> {
  return typeof x === "object" && x !== null && typeof (x as Type<unknown>).serialize === "function";
}

/**
 * The real Eddy runtime, in this process, with virtual time and an in-memory
 * store: messages go through the same log, partition processors, commit path,
 * delayed-message service and egress delivery as in `eddy run`. Works with any
 * test framework (node:test, vitest, jest): it uses no globals.
 *
 * @example
 * const env = await TestRuntime.start({ functions: [greeter] });
 * await env.send("apache/greeter/Bob", GreetRequestType, { who: "Bob" });
 * assert.deepEqual(env.playgroundTopic("greetings"), ["Hello Bob ! 😎"]);
 * assert.equal(env.stateOf("apache/greeter/Bob").seen_count, 1);
 * await env.stop();
 */
export class TestRuntime {
  readonly runtime: Runtime;
  readonly clock: VirtualClock;
  readonly #egresses = new Map<string, CapturingEgress>();
  readonly #messages: CapturedMessage[] = [];
  readonly #failures: InvocationFailure[] = [];
  readonly #failureListeners = new Set<(failure: InvocationFailure) => void>();
  /** Addresses whose last invocation failed: their messages wait for a retry in virtual time. */
  readonly #failing = new Map<string, InvocationFailure>();
  readonly #server: RemoteFunctionServer | undefined;
  readonly #pools: EndpointPools | undefined;

  private constructor(options: TestRuntimeOptions, server: RemoteFunctionServer | undefined) {
    this.clock = new VirtualClock(options.startTime ?? DEFAULT_START);
    const log = options.log;
    const logger =
      log === undefined
        ? silentLogger()
        : createLogger({
            level: log.level,
            destination: {
              write: (lines: string) => {
                for (const line of lines.split("\n")) if (line !== "") log.write(line);
              },
            },
          });
    // The runtime reports every failed attempt as an address event; that is how a waiting test learns of it.
    const onAddressEvent = (event: AddressEvent): void => {
      const failure = failureOfAddressEvent(event, this.clock.now());
      if (failure === undefined) return;
      this.#failures.push(failure);
      this.#failing.set(failure.address, failure);
      for (const listener of this.#failureListeners) listener(failure);
    };
    this.runtime = new Runtime({ clock: this.clock, logger, partitions: options.partitions ?? 4, onAddressEvent });
    this.#server = server;
    const observer: InvocationObserver = {
      now: () => this.clock.now(),
      message: (m) => {
        this.#messages.push(m);
      },
      completed: (target) => {
        this.#failing.delete(formatAddress(target));
      },
    };
    const bind = (typename: string, invoker: FunctionInvoker): void => {
      const recorded = recordingInvoker(invoker, observer);
      this.runtime.bindInvoker(typename, () => recorded, "@eddy/testing");
    };
    for (const fn of options.functions ?? []) bind(fn.typename, embeddedInvoker(fn));
    if (server !== undefined) {
      const pools = new EndpointPools();
      this.#pools = pools;
      for (const fn of options.remoteFunctions ?? []) {
        const invoker = remoteInvoker({
          functionType: fn.typename,
          url: server.urlOf(fn.typename),
          transport: { type: "async", callMs: 10_000 },
          pools,
          logger,
        });
        bind(fn.typename, invoker);
      }
    }
    for (const module of options.modules ?? []) this.runtime.bindModule(module);
    for (const id of new Set([PLAYGROUND_EGRESS_ID, ...(options.egresses ?? [])])) {
      const egress = new CapturingEgress(id);
      this.#egresses.set(id, egress);
      this.runtime.bindEgress(egress);
    }
  }

  /** Builds and starts a test runtime. */
  static async start(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
    let server: RemoteFunctionServer | undefined;
    if ((options.remoteFunctions ?? []).length > 0) {
      server = new RemoteFunctionServer(options.remoteFunctions ?? []);
      await server.listen();
    }
    const env = new TestRuntime(options, server);
    await env.runtime.start();
    return env;
  }

  /** Virtual time now, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Sends a message from outside (no caller), as an ingress would, and waits
   * until it and everything it caused right away has been processed. Delayed
   * messages wait for `advanceTime`.
   * @throws EddyError EDDY_UNKNOWN_FUNCTION when no function is bound for the type; EDDY_INVALID_ADDRESS for a malformed address.
   */
  send(to: string | Address, value: TypedValue): Promise<void>;
  send<T>(to: string | Address, type: Type<T>, value: T): Promise<void>;
  async send(to: string | Address, typeOrValue: TypedValue | Type<unknown>, value?: unknown): Promise<void> {
    const argument: TypedValue = isType(typeOrValue)
      ? { typename: typeOrValue.typename, value: typeOrValue.serialize(value) }
      : typeOrValue;
    await this.runtime.send(toAddress(to), argument);
    await this.settle();
  }

  /**
   * Waits until every accepted message has been processed.
   * @throws EddyError EDDY_INVOCATION_FAILED when an invocation fails meanwhile, or when
   * addresses that failed earlier still hold messages once everything else is done: those wait
   * for a retry after their backoff in virtual time, so waiting longer would never end.
   */
  async settle(): Promise<void> {
    let listener: ((failure: InvocationFailure) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      listener = (f) => reject(failureError([f]));
      this.#failureListeners.add(listener);
    });
    const waiting = { done: false };
    const stuck = this.#failing.size === 0 ? new Promise<never>(() => undefined) : this.#stuckOnFailures(waiting);
    try {
      await Promise.race([this.runtime.idle(), failed, stuck]);
    } finally {
      waiting.done = true;
      if (listener !== undefined) this.#failureListeners.delete(listener);
    }
  }

  /** Rejects once the pending count has not moved for a while and failed addresses remain. */
  async #stuckOnFailures(waiting: { readonly done: boolean }): Promise<never> {
    let last = -1;
    let since = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (waiting.done) return new Promise<never>(() => undefined); // settle is over: stop polling
      const pending = this.runtime.pendingMessages;
      if (pending !== last) {
        last = pending;
        since = Date.now();
      } else if (Date.now() - since >= QUIET_MS && this.#failing.size > 0) {
        throw failureError([...this.#failing.values()]);
      }
    }
  }

  /** Every invocation failure so far, in order. */
  get failures(): readonly InvocationFailure[] {
    return this.#failures;
  }

  /**
   * Moves virtual time forward by `ms`, timer by timer: each delayed message
   * that comes due is delivered and processed (and whatever it schedules
   * within the window fires too) before time moves on; TTLs expire on the way.
   */
  async advanceTime(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new EddyError("EDDY_INVALID_DELAY", `advanceTime takes ms ≥ 0, got ${ms}`);
    const target = this.clock.now() + ms;
    for (;;) {
      const next = this.clock.nextDueAt();
      if (next === undefined || next > target) break;
      this.clock.advanceTo(next);
      await this.settle();
    }
    this.clock.advanceTo(target);
    await this.settle();
  }

  /**
   * The state of an address. Without declarations: built-in types decoded
   * (`Types.int` → number, ...), other types as TypedValue, absent states left
   * out. With the function's state declarations: each one decoded with its type.
   */
  stateOf(target: string | Address): Record<string, unknown>;
  stateOf<S extends StateDeclarations>(target: string | Address, declarations: S): StateValues<S>;
  stateOf(target: string | Address, declarations?: StateDeclarations): Record<string, unknown> {
    const entries = this.runtime.readState(toAddress(target));
    return declarations === undefined ? decodeUntyped(entries) : decodeDeclared(entries, declarations);
  }

  /** Records committed to an egress, in commit order. */
  egress(id: string = PLAYGROUND_EGRESS_ID): readonly TypedValue[] {
    const egress = this.#egresses.get(id);
    if (egress === undefined) {
      throw new EddyError(
        "EDDY_UNKNOWN_EGRESS",
        `egress "${id}" is not captured; pass it in TestRuntime.start({ egresses: ["${id}"] }) (captured: ${[...this.#egresses.keys()].join(", ")})`,
      );
    }
    return egress.records;
  }

  /** Records of an egress decoded with their type. */
  egressValues<T>(id: string, type: Type<T>): T[] {
    return this.egress(id).map((r) => type.deserialize(r.value ?? new Uint8Array(0)));
  }

  /** Payloads sent to one topic of the playground egress, in order. */
  playgroundTopic(topic: string): string[] {
    return this.egressValues(PLAYGROUND_EGRESS_ID, PlaygroundEgressRecordType)
      .filter((r) => r.topic === topic)
      .map((r) => r.payload);
  }

  /** Messages functions sent to functions (immediate and delayed), in the order they were sent. */
  get messages(): readonly CapturedMessage[] {
    return this.#messages;
  }

  /** Messages sent to one address (`ns/name/id`) or to every address of a type (`ns/name`). */
  messagesTo(target: string): CapturedMessage[] {
    return this.#messages.filter((m) => formatAddress(m.to) === target || m.to.type === target);
  }

  /** Forgets captured egress records, messages and failures (state and pending timers stay). */
  clearCaptured(): void {
    this.#messages.length = 0;
    this.#failures.length = 0;
    for (const egress of this.#egresses.values()) egress.records.length = 0;
  }

  /**
   * Stops the runtime and the remote function server. Messages still pending
   * (a failing address, timers not yet due) are dropped with the in-memory store.
   */
  async stop(): Promise<void> {
    await this.runtime.stop({ timeoutMs: 0 });
    await this.#pools?.close();
    await this.#server?.close();
  }
}
