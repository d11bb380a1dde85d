import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis";
import type { GetShardIteratorCommandInput, Shard, _Record } from "@aws-sdk/client-kinesis";
import { EddyError, isEddyError } from "@eddy/sdk";
import type { RoutedMessage } from "@eddy/sdk";
import type { KinesisIngressSpec, KinesisStreamRoute } from "../../config/module-config.js";
import type { Logger } from "../../log/logger.js";
import type { Ingress, IngressSink } from "../../model/ingress.js";
import { awsErrorName, createKinesisClient, kinesisClientSettings } from "./kinesis-client.js";
import type { KinesisApi, KinesisClientSettings } from "./kinesis-client.js";
import { Backoff } from "../../retry/backoff.js";
import { sleep } from "../../retry/sleep.js";

export interface KinesisIngressOptions {
  readonly spec: KinesisIngressSpec;
  readonly logger: Logger;
  /** A client to use instead of one built from the spec (tests). */
  readonly client?: KinesisApi;
  /** Pause between GetRecords calls of one shard. Default: clientConfigProperties, else 200 ms (AWS allows 5 calls/s per shard). */
  readonly getRecordsIntervalMs?: number;
  /** Longest pause of a shard that keeps returning nothing. Default 1 s. */
  readonly maxIdleBackoffMs?: number;
  /** How often new shards (after a reshard) are looked for. Default: clientConfigProperties, else 10 s. */
  readonly shardDiscoveryIntervalMs?: number;
  /** Longest pause after failures. Default 30 s. */
  readonly maxErrorBackoffMs?: number;
  /** Longest wait for one Kinesis call before it is abandoned and retried. Default 30 s. */
  readonly callTimeoutMs?: number;
}

/** The source partition name under which a shard's position is stored. */
export function shardPartition(stream: string, shardId: string): string {
  return `${stream}/${shardId}`;
}

/**
 * EDDY_CONFIG_INVALID naming the first stream target of `spec` that no function serves, or undefined when every
 * target is served: records routed to it would be refused forever.
 */
export function unservedTarget(spec: KinesisIngressSpec, checkTarget: IngressSink["checkTarget"]): EddyError | undefined {
  for (const route of spec.streams) {
    for (const target of route.targets) {
      const problem = checkTarget({ type: target, id: "_" }, { typename: route.valueType, value: new Uint8Array(0) });
      if (problem?.code === "EDDY_UNKNOWN_FUNCTION") {
        return new EddyError("EDDY_CONFIG_INVALID", `Kinesis ingress ${spec.id}, stream ${route.stream}: target ${target}: ${problem.message}`);
      }
    }
  }
  return undefined;
}

/**
 * StateFun's Kinesis ingress: reads every shard of every configured stream by
 * polling GetRecords, and sends each record to `<target>/<partition key>` for
 * every target of its stream, typed `valueType`, with the data bytes as they
 * are. Each batch is accepted together with the shard's last sequence
 * number, so a restarted ingress resumes right after what the store holds.
 *
 * Unlike StateFun (Flink's consumer, which fails the job), failures such as a
 * missing stream, throttling or an unreachable endpoint are logged and retried
 * with backoff, per shard, while the other shards keep going.
 */
export class KinesisIngress implements Ingress {
  readonly id: string;
  readonly #spec: KinesisIngressSpec;
  readonly #log: Logger;
  readonly #settings: KinesisClientSettings;
  readonly #client: KinesisApi;
  readonly #ownsClient: boolean;
  readonly #intervalMs: number;
  readonly #maxIdleMs: number;
  readonly #discoveryMs: number;
  readonly #maxErrorMs: number;
  readonly #callTimeoutMs: number;
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];
  /** Shards being read, and the promise that settles when each is read to its end (or stopped). */
  readonly #readers = new Map<string, Promise<void>>();
  #sink: IngressSink | undefined;

  constructor(options: KinesisIngressOptions) {
    this.#spec = options.spec;
    this.id = options.spec.id;
    this.#log = options.logger.child({ ingress: this.id });
    this.#settings = kinesisClientSettings(options.spec.awsRegion, options.spec.awsCredentials, options.spec.clientConfigProperties);
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? createKinesisClient(this.#settings);
    this.#intervalMs = options.getRecordsIntervalMs ?? this.#settings.getRecordsIntervalMs ?? 200;
    this.#maxIdleMs = Math.max(this.#intervalMs, options.maxIdleBackoffMs ?? 1000);
    this.#discoveryMs = options.shardDiscoveryIntervalMs ?? this.#settings.shardDiscoveryIntervalMs ?? 10_000;
    this.#maxErrorMs = options.maxErrorBackoffMs ?? 30_000;
    this.#callTimeoutMs = options.callTimeoutMs ?? 30_000;
  }

  start(sink: IngressSink): Promise<void> {
    // A target with no function would make every accept fail forever; say so before reading anything.
    const unserved = unservedTarget(this.#spec, (target, argument) => sink.checkTarget(target, argument));
    if (unserved !== undefined) return Promise.reject(unserved);
    if (this.#settings.ignored.length > 0) {
      this.#log.info({ ignored: this.#settings.ignored }, "clientConfigProperties without an equivalent in Eddy are ignored");
    }
    this.#sink = sink;
    for (const route of this.#spec.streams) this.#loops.push(this.#discoverShards(route));
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    await Promise.all(this.#readers.values());
    if (this.#ownsClient) this.#client.destroy();
  }

  describe(): string {
    const start = this.#spec.startupPosition;
    const from = start.type === "date" ? `date ${new Date(start.epochMillis).toISOString()}` : start.type;
    return `Kinesis ingress reading ${this.#spec.streams.map((s) => s.stream).join(", ")} (from ${from} unless a stored position exists)`;
  }

  /** Ends a call on stop(), or when it hangs (a dead connection; kinesalite never answers an AT_TIMESTAMP past its last record). */
  #callOptions(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#callTimeoutMs)]) };
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Lists the stream's shards now and every discovery interval, starting a reader for each new one. */
  async #discoverShards(route: KinesisStreamRoute): Promise<void> {
    const log = this.#log.child({ stream: route.stream });
    const backoff = new Backoff({ initialMs: 200, maxMs: this.#maxErrorMs });
    while (!this.#stopped) {
      let shards: Shard[];
      try {
        shards = await this.#listShards(route.stream);
        if (backoff.attempts > 0) log.info({ attempts: backoff.attempts + 1 }, "listed shards after failures");
        backoff.reset();
      } catch (error) {
        if (this.#stopped) return;
        const wait = backoff.next();
        log.warn({ err: error, error: awsErrorName(error), retryInMs: wait }, "cannot list the stream's shards; retrying");
        await sleep(wait, this.#abort.signal);
        continue;
      }
      const known = new Set(shards.map((s) => s.ShardId));
      for (const shard of shards) {
        const key = shardPartition(route.stream, shard.ShardId!);
        if (this.#readers.has(key)) continue;
        // Reading a child only after its parents keeps each partition key's records in order across a reshard.
        const parents = [shard.ParentShardId, shard.AdjacentParentShardId]
          .filter((p): p is string => p !== undefined && known.has(p))
          .map((p) => this.#readers.get(shardPartition(route.stream, p)))
          .filter((p): p is Promise<void> => p !== undefined);
        this.#readers.set(key, this.#readShard(route, shard.ShardId!, parents));
      }
      await sleep(this.#discoveryMs, this.#abort.signal);
    }
  }

  async #listShards(stream: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListShardsCommand(nextToken === undefined ? { StreamName: stream } : { NextToken: nextToken }),
        this.#callOptions(),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return shards;
  }

  async #readShard(route: KinesisStreamRoute, shardId: string, parents: readonly Promise<void>[]): Promise<void> {
    await Promise.all(parents);
    const sink = this.#sink!;
    const partition = shardPartition(route.stream, shardId);
    const log = this.#log.child({ stream: route.stream, shard: shardId });
    let lastSequence = sink.position(this.id, partition);
    let iterator: string | undefined;
    const backoff = new Backoff({ initialMs: 100, maxMs: this.#maxErrorMs });
    let idle = 0;
    log.debug({ resumeAfter: lastSequence }, "reading shard");

    while (!this.#stopped) {
      try {
        iterator ??= await this.#iterator(route.stream, shardId, lastSequence);
        const result = await this.#client.send(
          new GetRecordsCommand({
            ShardIterator: iterator,
            ...(this.#settings.maxRecordsPerGet === undefined ? {} : { Limit: this.#settings.maxRecordsPerGet }),
          }),
          this.#callOptions(),
        );
        const records = result.Records ?? [];
        log.trace({ records: records.length, millisBehindLatest: result.MillisBehindLatest }, "GetRecords");
        if (records.length > 0) {
          const next = records[records.length - 1]!.SequenceNumber!;
          await sink.accept(this.#route(route, records), { ingress: this.id, partition, next });
          lastSequence = next;
        }
        if (backoff.attempts > 0) log.info({ attempts: backoff.attempts + 1 }, "reading again after failures");
        backoff.reset();
        iterator = result.NextShardIterator ?? undefined;
        if (iterator === undefined) {
          // A closed shard (split or merged) is done once it was read to its end.
          log.info({ lastSequence }, "shard is closed and fully read");
          return;
        }
        // An empty shard is asked less and less often, up to maxIdleBackoffMs; one with data at the pace AWS allows.
        idle = records.length === 0 ? idle + 1 : 0;
        const wait = idle === 0 ? this.#intervalMs : Math.min(this.#maxIdleMs, Math.max(this.#intervalMs, 50) * 2 ** Math.min(idle - 1, 10));
        await sleep(wait, this.#abort.signal);
      } catch (error) {
        if (this.#stopped || isEddyError(error, "EDDY_SHUTTING_DOWN")) return;
        const name = awsErrorName(error);
        if (name === "ExpiredIteratorException") {
          // Iterators last 5 minutes; a slow accept (backpressure) can outlive one. Resume from the last sequence.
          log.debug("shard iterator expired; getting a new one");
          iterator = undefined;
          continue;
        }
        if (name === "ResourceNotFoundException" || name === "InvalidArgumentException") iterator = undefined;
        const wait = backoff.next();
        log.warn({ err: error, error: name, retryInMs: wait, attempt: backoff.attempts }, "cannot read shard; retrying");
        await sleep(wait, this.#abort.signal);
      }
    }
  }

  #iterator(stream: string, shardId: string, after: string | undefined): Promise<string> {
    const start = this.#spec.startupPosition;
    const input: GetShardIteratorCommandInput =
      after !== undefined
        ? { StreamName: stream, ShardId: shardId, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: after }
        : start.type === "earliest"
          ? { StreamName: stream, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }
          : start.type === "latest"
            ? { StreamName: stream, ShardId: shardId, ShardIteratorType: "LATEST" }
            : { StreamName: stream, ShardId: shardId, ShardIteratorType: "AT_TIMESTAMP", Timestamp: new Date(start.epochMillis) };
    return this.#client.send(new GetShardIteratorCommand(input), this.#callOptions()).then((r) => {
      if (r.ShardIterator === undefined) throw new EddyError("EDDY_PROTOCOL_DECODE", "GetShardIterator returned no iterator", { retryable: true });
      return r.ShardIterator;
    });
  }

  #route(route: KinesisStreamRoute, records: readonly _Record[]): RoutedMessage[] {
    const messages: RoutedMessage[] = [];
    for (const record of records) {
      const id = record.PartitionKey!;
      const value = record.Data ?? new Uint8Array(0);
      for (const type of route.targets) messages.push({ target: { type, id }, argument: { typename: route.valueType, value } });
    }
    return messages;
  }
}
