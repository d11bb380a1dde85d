import { DurationHistogram } from "./duration-histogram.js";

/**
 * What happened to one function type, as plain counters the runtime adds to
 * on its hot path. Metric meanings follow StateFun's per-function-type metrics
 * (docs/observability.md has the mapping).
 */
export class FunctionStats {
  readonly functionType: string;
  /** Invocation attempts (one batch each), whether they succeeded or failed. */
  invocations = 0;
  /** Failed attempts per reason: the error code (EDDY_…). */
  readonly failures = new Map<string, number>();
  /** Messages consumed by committed invocations (StateFun `in`). */
  messagesIn = 0;
  /** Messages sent to an address in the sender's own partition (StateFun `outLocal`). */
  outLocal = 0;
  /** Messages sent to an address in another partition (StateFun `outRemote`). */
  outRemote = 0;
  /** Egress records produced (StateFun `outEgress`). */
  outEgress = 0;
  /** How long each attempt took, from the call until its outcome (not the commit). */
  readonly duration = new DurationHistogram();

  constructor(functionType: string) {
    this.functionType = functionType;
  }

  failed(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  get failureCount(): number {
    let total = 0;
    for (const n of this.failures.values()) total += n;
    return total;
  }
}

/** A remote function endpoint's concurrency, as its ConcurrencyLimit sees it. */
export interface EndpointConcurrency {
  /** The endpoint origin (or socket), e.g. http://127.0.0.1:8000. */
  readonly endpoint: string;
  readonly inFlight: number;
  readonly limit: number;
  /** Requests waiting for the limit. */
  readonly waiting: number;
}

/** Counters of one ingress or egress, by its id. */
export class IoStats {
  readonly id: string;
  /** Messages accepted (ingress) or records delivered (egress). */
  records = 0;
  /** Accepts that were refused (ingress) or deliveries that failed (egress). */
  failures = 0;

  constructor(id: string) {
    this.id = id;
  }
}

/**
 * Every counter of one runtime, shared by the partition processors (which add
 * to them) and the exporters (which read them when asked).
 */
export class RuntimeStats {
  readonly #functions = new Map<string, FunctionStats>();
  readonly #ingresses = new Map<string, IoStats>();
  readonly #egresses = new Map<string, IoStats>();
  /** How long each commit unit took from store.commit until durable. */
  readonly commitDuration = new DurationHistogram();

  /** The counters of a function type, created on first use. */
  function(functionType: string): FunctionStats {
    let stats = this.#functions.get(functionType);
    if (stats === undefined) {
      stats = new FunctionStats(functionType);
      this.#functions.set(functionType, stats);
    }
    return stats;
  }

  ingress(id: string): IoStats {
    return ioStats(this.#ingresses, id);
  }

  egress(id: string): IoStats {
    return ioStats(this.#egresses, id);
  }

  get functions(): Iterable<FunctionStats> {
    return this.#functions.values();
  }

  get ingresses(): Iterable<IoStats> {
    return this.#ingresses.values();
  }

  get egresses(): Iterable<IoStats> {
    return this.#egresses.values();
  }
}

function ioStats(map: Map<string, IoStats>, id: string): IoStats {
  let stats = map.get(id);
  if (stats === undefined) {
    stats = new IoStats(id);
    map.set(id, stats);
  }
  return stats;
}
