import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { listenWhenFree } from "./local-servers.js";

/** Kafka API keys the tests look for. */
export const API = { PRODUCE: 0, INIT_PRODUCER_ID: 22, END_TXN: 26, TXN_OFFSET_COMMIT: 28 } as const;

/** One request a client sent through the proxy, as far as the tests need it. */
export interface KafkaRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | undefined;
  /** EndTxn only: commit (true) or abort (false). */
  readonly committed?: boolean;
  /** When the proxy saw it (Date.now()). */
  readonly at: number;
}

/**
 * What becomes of a request: forwarded; held (with every later request of
 * its connection, until `release()`); cut (both sides of its connection are
 * closed, the request never reaches the broker); or forwarded with its
 * response cut (the broker acts on it, the client sees its connection close
 * instead of the answer).
 */
export type Verdict = "pass" | "hold" | "cut" | "cut-response";

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  fromClient: Buffer;
  fromBroker: Buffer;
  holding: boolean;
  held: Buffer[];
  /** Correlation ids whose response is to be cut. */
  readonly cutResponses: Set<number>;
  /** Correlation id → the request, for the responses. */
  readonly requests: Map<number, KafkaRequest>;
}

/**
 * A TCP proxy from `listenPort` to `targetPort` on 127.0.0.1 that reads the
 * Kafka requests passing through (their frames: size, API key, version,
 * correlation id, client id) and lets the test decide each one's fate, so a
 * failure can be placed at one exact request of one client (e.g. the EndTxn
 * of one transactional producer). Only the broker's PROXIED listener
 * (scripts/kafka/kafka.mjs) advertises the proxy's port, so clients
 * bootstrapped there stay behind it.
 */
export class KafkaRequestProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  /** Every request seen, in order; `responded` marks those whose answer reached the client. */
  readonly requests: (KafkaRequest & { responded?: boolean })[] = [];
  decide: (request: KafkaRequest) => Verdict = () => "pass";

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on `listenPort` (waiting while another test file holds it, up to `waitMs`: listenWhenFree) and forwards to `targetPort`. */
  static async start(listenPort: number, targetPort: number, waitMs = 240_000): Promise<KafkaRequestProxy> {
    const server = createServer();
    const proxy = new KafkaRequestProxy(server);
    server.on("connection", (client) => proxy.#connect(client, targetPort));
    await listenWhenFree(server, listenPort, waitMs);
    return proxy;
  }

  /** Resolves once `predicate` holds for what was seen (checked as requests and responses pass). */
  async waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`proxy: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Forwards what is held and goes on forwarding. */
  release(): void {
    for (const pair of this.#pairs) {
      pair.holding = false;
      const held = pair.held;
      pair.held = [];
      for (const frame of held) if (!pair.upstream.destroyed) pair.upstream.write(frame);
    }
  }

  /** Closes the connections holding requests: what they held never reaches the broker. */
  cutHolding(): void {
    for (const pair of [...this.#pairs]) {
      if (!pair.holding) continue;
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }

  /** Forwards what is held, but closes the connection when the answer to a held request comes back. */
  releaseCuttingResponses(): void {
    for (const pair of this.#pairs) {
      for (const frame of pair.held) pair.cutResponses.add(frame.readInt32BE(8));
    }
    this.release();
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #connect(client: Socket, targetPort: number): void {
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    const pair: Pair = { client, upstream, fromClient: Buffer.alloc(0), fromBroker: Buffer.alloc(0), holding: false, held: [], cutResponses: new Set(), requests: new Map() };
    this.#pairs.add(pair);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (data: Buffer) => {
      pair.fromClient = Buffer.concat([pair.fromClient, data]);
      for (let frame = takeFrame(pair, "fromClient"); frame !== undefined; frame = takeFrame(pair, "fromClient")) {
        const request = parseRequest(frame);
        this.requests.push(request);
        pair.requests.set(request.correlationId, request);
        const verdict = pair.holding ? "hold" : this.decide(request);
        if (verdict === "cut") return end();
        if (verdict === "cut-response") pair.cutResponses.add(request.correlationId);
        if (verdict === "hold") {
          pair.holding = true;
          pair.held.push(frame);
        } else upstream.write(frame);
      }
    });
    upstream.on("data", (data: Buffer) => {
      pair.fromBroker = Buffer.concat([pair.fromBroker, data]);
      for (let frame = takeFrame(pair, "fromBroker"); frame !== undefined; frame = takeFrame(pair, "fromBroker")) {
        const correlationId = frame.readInt32BE(4);
        if (pair.cutResponses.has(correlationId)) return end();
        const request = pair.requests.get(correlationId);
        pair.requests.delete(correlationId);
        client.write(frame);
        if (request !== undefined) (request as { responded?: boolean }).responded = true;
      }
    });
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", end);
    }
  }
}

/** The next whole frame (4-byte size, then that many bytes) of one direction, or undefined. */
function takeFrame(pair: Pair, side: "fromClient" | "fromBroker"): Buffer | undefined {
  const buffer = pair[side];
  if (buffer.length < 4) return undefined;
  const size = buffer.readInt32BE(0);
  if (buffer.length < 4 + size) return undefined;
  pair[side] = buffer.subarray(4 + size);
  return buffer.subarray(0, 4 + size);
}

/** Request header v1/v2: api key, version, correlation id, client id (nullable int16 string); v2 adds tagged fields. */
function parseRequest(frame: Buffer): KafkaRequest {
  const apiKey = frame.readInt16BE(4);
  const apiVersion = frame.readInt16BE(6);
  const correlationId = frame.readInt32BE(8);
  const idLength = frame.readInt16BE(12);
  const clientId = idLength < 0 ? undefined : frame.toString("utf8", 14, 14 + idLength);
  let at = 14 + Math.max(idLength, 0);
  const request: KafkaRequest = { apiKey, apiVersion, correlationId, clientId, at: Date.now() };
  if (apiKey !== API.END_TXN) return request;
  // EndTxn v3+ is flexible: header tagged fields, compact strings.
  const flexible = apiVersion >= 3;
  if (flexible) at = skipTaggedFields(frame, at);
  let txnIdLength: number;
  if (flexible) {
    const [n, next] = readUnsignedVarint(frame, at);
    txnIdLength = n - 1;
    at = next;
  } else {
    txnIdLength = frame.readInt16BE(at);
    at += 2;
  }
  at += Math.max(txnIdLength, 0) + 8 + 2; // transactional id, producer id, producer epoch
  return { ...request, committed: frame.readUInt8(at) === 1 };
}

function readUnsignedVarint(buffer: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buffer.readUInt8(at++);
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

function skipTaggedFields(buffer: Buffer, at: number): number {
  let [count, next] = readUnsignedVarint(buffer, at);
  while (count-- > 0) {
    const [, afterTag] = readUnsignedVarint(buffer, next);
    const [size, afterSize] = readUnsignedVarint(buffer, afterTag);
    next = afterSize + size;
  }
  return next;
}
