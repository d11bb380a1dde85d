import { DescribeStreamSummaryCommand, ListStreamsCommand } from "@aws-sdk/client-kinesis";
import type { Logger } from "../../log/logger.js";
import { awsErrorName } from "./kinesis-client.js";
import type { KinesisApi } from "./kinesis-client.js";

/** How often a stream that was missing is looked up again when a record names it. */
const MISSING_RECHECK_MS = 1_000;

/**
 * Which Kinesis streams exist, so that the egress's `check()` (synchronous,
 * before the invocation commits) can refuse a record to a stream that does
 * not exist. Kinesis never creates a stream on write, so without it such a
 * record is committed, every PutRecords for it fails with
 * ResourceNotFoundException, and it sits in the egress's memory, retried for
 * ever. Refused, it fails only the invocation that wrote it, which is retried
 * (and parked after the retry limit) at its own address until the stream
 * exists.
 *
 * The egress's start lists the streams once. When that is not allowed (an
 * IAM policy with PutRecords only) or fails, each stream is looked up on its
 * first record with DescribeStreamSummary, and refused only once Kinesis said
 * it does not exist; a stream nothing could be learnt about is not refused
 * (what Eddy did before it checked).
 */
export class KinesisStreamDirectory {
  readonly #client: KinesisApi;
  readonly #logger: Logger;
  readonly #known = new Set<string>();
  /** Stream → when it was last found missing. */
  readonly #missing = new Map<string, number>();
  readonly #lookups = new Set<string>();
  /** True once the full list was read: a stream not in it is missing until a lookup finds it. */
  #listed = false;
  #closed = false;

  constructor(options: { client: KinesisApi; logger: Logger }) {
    this.#client = options.client;
    this.#logger = options.logger;
  }

  /** Reads the list of streams. Resolves after it was read or failed; never throws. */
  async load(): Promise<void> {
    try {
      let token: string | undefined;
      const names: string[] = [];
      do {
        const page = await this.#client.send(new ListStreamsCommand(token === undefined ? {} : { NextToken: token }));
        names.push(...(page.StreamNames ?? []));
        token = page.HasMoreStreams === true ? (page.NextToken ?? undefined) : undefined;
      } while (token !== undefined);
      for (const name of names) this.#known.add(name);
      this.#listed = true;
    } catch (error) {
      this.#logger.info(
        { error: awsErrorName(error) },
        "Kinesis egress: cannot list the streams; each stream is looked up on its first record instead (DescribeStreamSummary)",
      );
    }
  }

  /** Why a record to `stream` cannot be written now, or undefined. */
  problem(stream: string): string | undefined {
    if (this.#known.has(stream)) return undefined;
    const missingSince = this.#missing.get(stream);
    if (missingSince === undefined || Date.now() - missingSince >= MISSING_RECHECK_MS) this.#lookUp(stream);
    if (missingSince === undefined && !this.#listed) return undefined;
    return `Kinesis stream "${stream}" does not exist: create it; the invocation is retried with backoff and goes through once the stream exists`;
  }

  /** PutRecords said the stream is gone (deleted after its records were accepted). */
  lost(stream: string): void {
    this.#known.delete(stream);
    if (!this.#missing.has(stream)) this.#missing.set(stream, Date.now());
  }

  close(): void {
    this.#closed = true;
  }

  #lookUp(stream: string): void {
    if (this.#lookups.has(stream) || this.#closed) return;
    this.#lookups.add(stream);
    this.#client.send(new DescribeStreamSummaryCommand({ StreamName: stream })).then(
      () => {
        this.#lookups.delete(stream);
        this.#known.add(stream);
        this.#missing.delete(stream);
      },
      (error: unknown) => {
        this.#lookups.delete(stream);
        // Any other failure is no answer: look again at the next record that names it.
        if (awsErrorName(error) !== "ResourceNotFoundException") return;
        if (!this.#missing.has(stream)) {
          this.#logger.warn({ stream }, `Kinesis egress: stream "${stream}" does not exist; records to it are refused until it is created`);
        }
        this.#missing.set(stream, Date.now());
      },
    );
  }
}
