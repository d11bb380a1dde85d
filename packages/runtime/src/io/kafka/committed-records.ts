import type { FetchResponse } from "./partition-fetcher.js";

/** One partition of a Fetch response. */
export type FetchedPartition = FetchResponse["responses"][number]["partitions"][number];
type FetchedBatch = NonNullable<FetchedPartition["records"]>[number];

/** Record batch attribute bits (Kafka's record batch format v2). */
const IS_TRANSACTIONAL = 0b1_0000;
const IS_CONTROL = 0b10_0000;
/** Control record type 0 is an abort marker (1 is a commit marker). */
const ABORT_MARKER = 0;

/** A data record of a fetched partition, with its offset. */
export interface FetchedRecord {
  readonly offset: bigint;
  readonly record: FetchedBatch["records"][number];
}

export interface CommittedRead {
  readonly records: FetchedRecord[];
  /** The offset to fetch from next: past every batch returned, markers and aborted records too. */
  readonly next: bigint;
}

/**
 * The data records of one fetched partition from `from` on, without control
 * batches (transaction markers) and, when reading committed, without the
 * records of aborted transactions.
 *
 * With `read_committed` the broker still returns aborted records (up to the
 * last stable offset) and lists the aborted transactions beside them; the
 * reader must drop them, as the Java consumer does: a producer's
 * transactional batches are dropped from its aborted transaction's first
 * offset until its abort marker. Consumer.fetch's own filter kept one aborted
 * range per producer and none whose marker is outside the response (a
 * producer that aborted twice in a row leaked its first transaction's
 * records), and threw on a marker of a producer not listed.
 */
export function committedRecords(partition: FetchedPartition, from: bigint, readCommitted: boolean): CommittedRead {
  const aborted = readCommitted ? [...(partition.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : [];
  const abortedProducers = new Set<bigint>();
  let nextAborted = 0;
  const records: FetchedRecord[] = [];
  let next = from;
  for (const batch of partition.records ?? []) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (last + 1n > next) next = last + 1n;
    while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= last) {
      abortedProducers.add(aborted[nextAborted]!.producerId);
      nextAborted++;
    }
    if ((batch.attributes & IS_CONTROL) !== 0) {
      const key = batch.records[0]?.key;
      if (key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
      continue;
    }
    if ((batch.attributes & IS_TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      // A fetch returns whole batches, which may start before the requested offset.
      if (offset < from) continue;
      records.push({ offset, record });
    }
  }
  return { records, next };
}
