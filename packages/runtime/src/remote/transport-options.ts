/*
 * The two HTTP transports of StateFun's `io.statefun.endpoints.v2/http`, with
 * StateFun's defaults. They differ in what they retry (see retry-rules.ts), so
 * an endpoint keeps its transport type even though both run on undici here.
 */

/** TLS material for `https` endpoints; every entry is a file path, read once when the pool is created. */
export interface TlsFiles {
  /** PEM CA certificates to trust instead of the system ones (`trust_cacerts`). */
  readonly ca?: string;
  /** PEM client certificate for mTLS (`client_cert`); needs `key`. */
  readonly cert?: string;
  /** PEM client key (`client_key`). */
  readonly key?: string;
  /** A file holding the key's passphrase (`client_key_password`). */
  readonly passphraseFile?: string;
}

/** `io.statefun.transports.v1/async` (Netty in StateFun), the v2 default since 3.2. */
export interface AsyncTransportOptions {
  readonly type: "async";
  /** Total budget of one call, retries included. Default 120000. */
  readonly callMs?: number;
  /** TCP (and TLS) connect timeout per attempt. Default 20000. */
  readonly connectMs?: number;
  /** Connections per endpoint origin. Default 1024. */
  readonly poolSize?: number;
  /** Lifetime of a pooled connection, after which it is replaced. Default 15000; 0 = no limit. */
  readonly poolTtlMs?: number;
  /** Largest response body accepted (after decompression). Default 32 MiB. */
  readonly payloadMaxBytes?: number;
  readonly tls?: TlsFiles;
}

/** `io.statefun.transports.v1/okhttp`, and the transport of v1 endpoints. */
export interface OkHttpTransportOptions {
  readonly type: "okhttp";
  /** Total budget of one call, retries included. Default 60000. */
  readonly callMs?: number;
  /** Default 10000. */
  readonly connectMs?: number;
  /** Longest wait for response headers, and between body chunks. Default 10000. */
  readonly readMs?: number;
  /** Accepted for compatibility; undici has no write timeout, the call budget bounds writes. Default 10000. */
  readonly writeMs?: number;
}

export type TransportOptions = AsyncTransportOptions | OkHttpTransportOptions;

/** Transport options with every default filled in. */
export interface ResolvedTransport {
  readonly type: "async" | "okhttp";
  readonly callMs: number;
  readonly connectMs: number;
  readonly poolSize: number;
  /** Idle time after which a pooled connection is closed, unless the server's Keep-Alive hint says otherwise; undefined = undici's default. */
  readonly keepAliveMs: number | undefined;
  /** Lifetime of a pooled connection; 0 = no limit. */
  readonly connectionTtlMs: number;
  /** undefined = wait as long as the call budget allows. */
  readonly readMs: number | undefined;
  readonly payloadMaxBytes: number;
  readonly tls: TlsFiles | undefined;
}

export const DEFAULT_PAYLOAD_MAX_BYTES = 32 * 1024 * 1024;

/** OkHttp's client in StateFun keeps up to 1024 idle connections for 1 min. */
const OKHTTP_POOL = { size: 1024, keepAliveMs: 60_000 } as const;

export function resolveTransport(options: TransportOptions): ResolvedTransport {
  if (options.type === "okhttp") {
    return {
      type: "okhttp",
      callMs: options.callMs ?? 60_000,
      connectMs: options.connectMs ?? 10_000,
      poolSize: OKHTTP_POOL.size,
      keepAliveMs: OKHTTP_POOL.keepAliveMs,
      connectionTtlMs: 0,
      readMs: options.readMs ?? 10_000,
      // OkHttp has no size limit; the same cap as async keeps a broken function from exhausting memory.
      payloadMaxBytes: DEFAULT_PAYLOAD_MAX_BYTES,
      tls: undefined,
    };
  }
  return {
    type: "async",
    callMs: options.callMs ?? 120_000,
    connectMs: options.connectMs ?? 20_000,
    poolSize: options.poolSize ?? 1024,
    keepAliveMs: undefined,
    connectionTtlMs: options.poolTtlMs ?? 15_000,
    readMs: undefined,
    payloadMaxBytes: options.payloadMaxBytes ?? DEFAULT_PAYLOAD_MAX_BYTES,
    tls: options.tls,
  };
}
