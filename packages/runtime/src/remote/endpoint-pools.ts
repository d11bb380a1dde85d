import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Pool } from "undici";
import { EddyError } from "@eddy/sdk";
import type { EndpointTarget } from "./endpoint-url.js";
import type { ResolvedTransport, TlsFiles } from "./transport-options.js";
import type { EndpointConcurrency } from "../observability/runtime-stats.js";
import { ConcurrencyLimit } from "./concurrency-limit.js";

/*
 * One undici Pool per endpoint origin (and socket file and connection
 * settings), shared by every function type that an endpoint's URL template
 * sends to the same place, so a namespace binding with many types keeps one
 * set of keep-alive connections.
 */

// undici takes a tenth of a second or more to load; modules without remote functions never need it.
let poolClass: typeof Pool | undefined;
function undiciPool(): typeof Pool {
  poolClass ??= (createRequire(import.meta.url)("undici") as { Pool: typeof Pool }).Pool;
  return poolClass;
}

export class EndpointPools {
  readonly #pools = new Map<string, Pool>();
  readonly #limits = new Map<string, { readonly endpoint: string; readonly limit: ConcurrencyLimit }>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** How many pools are open; for tests and metrics. */
  get size(): number {
    return this.#pools.size;
  }

  /**
   * The pool for a target, created on first use. TLS files are read here, so
   * a missing certificate fails when the invoker is created, not on the first message.
   * @throws EddyError EDDY_SHUTTING_DOWN after close(); EDDY_CONFIG_INVALID for unreadable TLS files.
   */
  /**
   * The adaptive limit on requests in flight to an endpoint origin, shared like
   * its pool; never above the pool size.
   */
  limitFor(target: EndpointTarget, transport: ResolvedTransport): ConcurrencyLimit {
    const key = `${target.origin}\u0000${target.socketPath ?? ""}`;
    let entry = this.#limits.get(key);
    if (entry === undefined) {
      entry = { endpoint: target.socketPath === undefined ? target.origin : `unix:${target.socketPath}`, limit: new ConcurrencyLimit({ max: transport.poolSize }) };
      this.#limits.set(key, entry);
    }
    return entry.limit;
  }

  /** Requests in flight, waiting, and the current limit of every endpoint called so far (for metrics). */
  concurrency(): EndpointConcurrency[] {
    return [...this.#limits.values()].map(({ endpoint, limit }) => ({ endpoint, inFlight: limit.inFlight, limit: limit.limit, waiting: limit.waiting }));
  }

  poolFor(target: EndpointTarget, transport: ResolvedTransport): Pool {
    if (this.#closed) throw new EddyError("EDDY_SHUTTING_DOWN", `cannot call ${target.url}: the HTTP pools are closed`);
    const tls = target.secure ? transport.tls : undefined;
    const key = JSON.stringify([
      target.origin,
      target.socketPath ?? "",
      transport.connectMs,
      transport.poolSize,
      transport.keepAliveMs ?? null,
      transport.connectionTtlMs,
      tls ?? null,
    ]);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new (undiciPool())(target.origin, {
        connections: transport.poolSize,
        // Pipelined POSTs would share the fate of one dropped connection; StateFun never pipelines.
        pipelining: 1,
        ...(transport.keepAliveMs === undefined ? {} : { keepAliveTimeout: transport.keepAliveMs }),
        ...(transport.connectionTtlMs > 0 ? { clientTtl: transport.connectionTtlMs } : {}),
        connect: {
          timeout: transport.connectMs,
          ...(target.socketPath === undefined ? {} : { socketPath: target.socketPath }),
          ...(tls === undefined ? {} : readTls(tls)),
        },
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes every pool: in-flight requests finish, new ones are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  /** Like close(), but aborts in-flight requests. */
  async destroy(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}

interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
}

function readTls(files: TlsFiles): TlsMaterial {
  const material: TlsMaterial = {};
  if (files.ca !== undefined) material.ca = readPem(files.ca, "trust_cacerts");
  if (files.cert !== undefined) material.cert = readPem(files.cert, "client_cert");
  if (files.key !== undefined) material.key = readPem(files.key, "client_key");
  // The password file usually ends with a newline that is not part of the password.
  if (files.passphraseFile !== undefined) {
    material.passphrase = readPem(files.passphraseFile, "client_key_password").replace(/\r?\n$/u, "");
  }
  return material;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new EddyError("EDDY_CONFIG_INVALID", `cannot read ${what} file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
