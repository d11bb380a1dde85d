import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { decodeKinesisEgressRecord, KINESIS_EGRESS_RECORD_TYPENAME } from "@eddy/protocol";
import type { TypedValue } from "@eddy/sdk";
import type { KinesisEgressSpec } from "../../config/module-config.js";
import type { Logger } from "../../log/logger.js";
import type { Egress, EgressCheck, EgressContext } from "../../model/egress.js";
import { awsErrorName, createKinesisClient, kinesisClientSettings } from "./kinesis-client.js";
import type { KinesisApi } from "./kinesis-client.js";
import { Backoff } from "../../retry/backoff.js";
import { KinesisStreamDirectory } from "./stream-directory.js";

export interface KinesisEgressOptions {
  readonly spec: KinesisEgressSpec;
  readonly logger: Logger;
  /** A client to use instead of one built from the spec (tests). */
  readonly client?: KinesisApi;
  /** How long stop() waits for records still queued or in flight. Default 10 s. */
  readonly drainTimeoutMs?: number;
  /** Longest pause between retries. Default 30 s. */
  readonly maxRetryBackoffMs?: number;
  /** Longest wait for one PutRecords before it is abandoned and retried. Default 30 s. */
  readonly callTimeoutMs?: number;
}

/** Kinesis's limits for one PutRecords request. */
const MAX_RECORDS_PER_REQUEST = 500;
const MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024;
/** A record's data plus its partition key may be at most 1 MiB. */
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_PARTITION_KEY_LENGTH = 256;
const MAX_HASH_KEY = (1n << 128n) - 1n;

interface PendingRecord {
  readonly id: number;
  readonly entry: PutRecordsRequestEntry;
  readonly size: number;
}

/** Records waiting for one stream; one PutRecords per stream is in flight at a time. */
interface StreamQueue {
  readonly stream: string;
  readonly records: PendingRecord[];
  inFlight: number;
  readonly backoff: Backoff;
  /** Set while the stream backs off after a failure. */
  retryAt: number;
}

/**
 * StateFun's generic Kinesis egress: takes `KinesisEgressRecord`s and writes
 * them with PutRecords, in batches of at most 500 records and 5 MiB per
 * stream, with at most `maxOutstandingRecords` records in flight.
 *
 * Delivery is at-least-once, as with StateFun's KPL sink: a record is
 * acknowledged (and so forgotten by a durable store) only after Kinesis
 * accepted it; records Kinesis rejects (a per-record ErrorCode such as
 * throttling) or requests that fail are retried with backoff until they
 * succeed. A crash between PutRecords and the acknowledgement writes those
 * records again after the restart.
 */
export class KinesisEgress implements Egress {
  readonly id: string;
  readonly acknowledgesItself = true;
  readonly #spec: KinesisEgressSpec;
  readonly #log: Logger;
  readonly #client: KinesisApi;
  readonly #ownsClient: boolean;
  readonly #ignored: readonly string[];
  readonly #drainTimeoutMs: number;
  readonly #maxBackoffMs: number;
  readonly #callTimeoutMs: number;
  readonly #queues = new Map<string, StreamQueue>();
  readonly #streams: KinesisStreamDirectory;
  readonly #abort = new AbortController();
  #context: EgressContext | undefined;
  #outstanding = 0;
  #queued = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(options: KinesisEgressOptions) {
    this.#spec = options.spec;
    this.id = options.spec.id;
    this.#log = options.logger.child({ egress: this.id });
    const settings = kinesisClientSettings(options.spec.awsRegion, options.spec.awsCredentials, options.spec.clientConfigProperties);
    this.#ignored = settings.ignored;
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? createKinesisClient(settings);
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.#maxBackoffMs = options.maxRetryBackoffMs ?? 30_000;
    this.#callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.#streams = new KinesisStreamDirectory({ client: this.#client, logger: this.#log });
  }

  /** Records taken and not yet accepted by Kinesis. */
  get pendingRecords(): number {
    return this.#queued + this.#outstanding;
  }

  check(record: TypedValue): EgressCheck {
    if (record.typename !== KINESIS_EGRESS_RECORD_TYPENAME) {
      return `the Kinesis egress ${this.id} takes only records of type ${KINESIS_EGRESS_RECORD_TYPENAME} (use kinesisEgressMessage), not ${record.typename}`;
    }
    let decoded;
    try {
      decoded = decodeKinesisEgressRecord(record.value ?? new Uint8Array(0));
    } catch (error) {
      return `not a valid KinesisEgressRecord: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (decoded.stream === "") return "a KinesisEgressRecord needs a stream";
    const keyLength = [...decoded.partitionKey].length;
    if (keyLength === 0 || keyLength > MAX_PARTITION_KEY_LENGTH) {
      return `a KinesisEgressRecord needs a partition key of 1 to ${MAX_PARTITION_KEY_LENGTH} characters (got ${keyLength})`;
    }
    const size = decoded.valueBytes.length + Buffer.byteLength(decoded.partitionKey);
    if (size > MAX_RECORD_BYTES) {
      return `a Kinesis record's data and partition key may be at most ${MAX_RECORD_BYTES} bytes (got ${size})`;
    }
    const hashKey = decoded.explicitHashKey;
    if (hashKey !== "" && (!/^\d{1,39}$/.test(hashKey) || BigInt(hashKey) > MAX_HASH_KEY)) {
      return `explicit hash key "${hashKey}" is not a decimal number from 0 to 2^128-1`;
    }
    const missing = this.#streams.problem(decoded.stream);
    return missing === undefined ? undefined : { retryLater: missing };
  }

  deliver(records: readonly TypedValue[], ids: readonly number[]): void {
    for (let i = 0; i < records.length; i++) {
      // check() vetted each record before its invocation committed; records recovered after a restart were vetted too.
      const decoded = decodeKinesisEgressRecord(records[i]!.value ?? new Uint8Array(0));
      const entry: PutRecordsRequestEntry = {
        Data: decoded.valueBytes,
        PartitionKey: decoded.partitionKey,
        ...(decoded.explicitHashKey === "" ? {} : { ExplicitHashKey: decoded.explicitHashKey }),
      };
      let queue = this.#queues.get(decoded.stream);
      if (queue === undefined) {
        queue = { stream: decoded.stream, records: [], inFlight: 0, backoff: new Backoff({ initialMs: 100, maxMs: this.#maxBackoffMs }), retryAt: 0 };
        this.#queues.set(decoded.stream, queue);
      }
      queue.records.push({ id: ids[i]!, entry, size: decoded.valueBytes.length + Buffer.byteLength(decoded.partitionKey) });
      this.#queued++;
    }
    this.#pump();
  }

  async start(context: EgressContext): Promise<void> {
    this.#context = context;
    if (this.#ignored.length > 0) {
      this.#log.info({ ignored: this.#ignored }, "clientConfigProperties without an equivalent in Eddy are ignored");
    }
    await this.#streams.load();
  }

  async stop(): Promise<void> {
    if (this.pendingRecords > 0) {
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        new Promise<boolean>((resolve) => this.#idleWaiters.push(() => resolve(true))),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.#drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!drained) {
        this.#log.warn(
          { pending: this.pendingRecords, timeoutMs: this.#drainTimeoutMs },
          "stopped with records not yet written to Kinesis; a durable store writes them after the restart",
        );
      }
    }
    this.#abort.abort();
    this.#streams.close();
    clearTimeout(this.#wakeTimer);
    if (this.#ownsClient) this.#client.destroy();
  }

  describe(): string {
    return `Kinesis egress (at-least-once, max ${this.#spec.maxOutstandingRecords} outstanding records)`;
  }

  /** Sends what the limits allow now, and arranges to be called again when a backoff ends. */
  #pump(): void {
    if (this.#abort.signal.aborted) return;
    const now = Date.now();
    let nextWake = Infinity;
    for (const queue of this.#queues.values()) {
      if (queue.records.length === 0 || queue.inFlight > 0) continue;
      if (queue.retryAt > now) {
        nextWake = Math.min(nextWake, queue.retryAt);
        continue;
      }
      const room = this.#spec.maxOutstandingRecords - this.#outstanding;
      if (room <= 0) break;
      const batch = takeBatch(queue.records, Math.min(room, MAX_RECORDS_PER_REQUEST));
      this.#queued -= batch.length;
      this.#outstanding += batch.length;
      queue.inFlight = batch.length;
      void this.#put(queue, batch);
    }
    if (nextWake !== Infinity) {
      clearTimeout(this.#wakeTimer);
      this.#wakeTimer = setTimeout(() => this.#pump(), nextWake - now);
    }
    if (this.pendingRecords === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  async #put(queue: StreamQueue, batch: PendingRecord[]): Promise<void> {
    const log = this.#log.child({ stream: queue.stream });
    let retry: PendingRecord[] = batch;
    let problem: { error?: unknown; codes?: Record<string, number> } | undefined;
    try {
      const result = await this.#client.send(
        new PutRecordsCommand({ StreamName: queue.stream, Records: batch.map((r) => r.entry) }),
        // A hung connection would otherwise hold this stream's records forever.
        { abortSignal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#callTimeoutMs)]) },
      );
      const done: number[] = [];
      retry = [];
      const codes: Record<string, number> = {};
      const entries = result.Records ?? [];
      batch.forEach((record, i) => {
        const code = entries[i]?.ErrorCode;
        if (entries[i] === undefined || code !== undefined) {
          retry.push(record);
          const key = code ?? "missing result";
          codes[key] = (codes[key] ?? 0) + 1;
        } else {
          done.push(record.id);
        }
      });
      if (done.length > 0) this.#context?.acknowledge(done);
      if (retry.length > 0) problem = { codes };
    } catch (error) {
      problem = { error };
      if (awsErrorName(error) === "ResourceNotFoundException") this.#streams.lost(queue.stream);
    }
    this.#outstanding -= batch.length;
    queue.inFlight = 0;
    if (retry.length > 0 && !this.#abort.signal.aborted) {
      // Back at the front, so a stream's records still go out in the order taken.
      queue.records.unshift(...retry);
      this.#queued += retry.length;
      const wait = queue.backoff.next();
      queue.retryAt = Date.now() + wait;
      if (problem?.error !== undefined) {
        log.warn(
          { err: problem.error, error: awsErrorName(problem.error), records: batch.length, retryInMs: wait, attempt: queue.backoff.attempts },
          "PutRecords failed; retrying",
        );
      } else {
        log.warn({ failedRecords: retry.length, records: batch.length, errorCodes: problem?.codes, retryInMs: wait }, "Kinesis rejected records; retrying them");
      }
    } else {
      queue.backoff.reset();
      queue.retryAt = 0;
    }
    this.#pump();
  }
}

/** Takes up to `max` records from the front of `records`, within one request's byte limit. */
function takeBatch(records: PendingRecord[], max: number): PendingRecord[] {
  let count = 0;
  let bytes = 0;
  while (count < records.length && count < max) {
    const size = records[count]!.size;
    if (count > 0 && bytes + size > MAX_BYTES_PER_REQUEST) break;
    bytes += size;
    count++;
  }
  return records.splice(0, count);
}
