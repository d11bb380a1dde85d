import { chmodSync, existsSync, rmSync } from "node:fs";
import { crc32 } from "node:zlib";
import { join } from "node:path";
import { open } from "lmdb";
import type { Database, RootDatabase } from "lmdb";
import { EddyError } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import { FILE_MODE, prepareDirectory, releaseLock } from "../store/data-directory.js";
import type { DirectoryKind } from "../store/data-directory.js";
import { lmdbFileProblem } from "../store/lmdb-file-check.js";

const CACHE_DIRECTORY: DirectoryKind = {
  marker: "eddy-cluster-cache.json",
  format: 1,
  whenDamaged: "It is a cache: delete the directory and Eddy rebuilds it from Kafka",
  whenNewer: "run that version, or delete the directory (a cache: it is rebuilt from Kafka)",
  whenOlder: "delete the directory: it is rebuilt from Kafka",
};

/** LMDB files (a path with an extension is a file, not a directory, to lmdb-js). */
const DATA_FILES = ["cache.mdb", "cache.mdb-lock"];

/** What a partition's cache holds: the committed records of its changelog partition below `offset`, compacted (the newest value of each key, no tombstones). */
export interface CachedPartition {
  /** The id of the changelog topic they were read from: a topic deleted and created again has another. */
  readonly topicId: string;
  readonly offset: bigint;
  /** Epoch ms when the read that reached `offset` began: tombstones after `offset` are younger than this. */
  readonly readAt: number;
}

interface StoredMeta {
  readonly t: string;
  readonly o: string;
  readonly at: number;
}

/**
 * A cluster worker's local cache of its partitions' changelogs (`--data-dir`
 * with `--cluster`), in LMDB: per partition, the changelog's records up to an
 * offset and that offset. It is only ever written from what was read from
 * the changelog, so it is always a true prefix of it; a restore loads it and
 * reads the changelog only after its offset. Kafka stays the source of
 * truth: the directory may be deleted at any time, and a cache that cannot
 * be opened is deleted and rebuilt.
 */
export class PartitionCache {
  readonly path: string;
  readonly #root: RootDatabase;
  readonly #records: Database<Buffer, [number, string]>;
  readonly #meta: Database<StoredMeta, number>;
  #closed = false;

  constructor(path: string, logger: Logger) {
    this.path = path;
    prepareDirectory(path, CACHE_DIRECTORY, false);
    let root: RootDatabase;
    try {
      const problem = lmdbFileProblem(join(path, DATA_FILES[0]!));
      if (problem !== undefined) throw new Error(`${DATA_FILES[0]!} is damaged: ${problem}`);
      root = openRoot(path);
    } catch (cause) {
      // The cache's file is damaged (junk, a truncated copy): it is rebuilt from Kafka, never half-trusted.
      logger.warn({ dataDir: path, err: cause instanceof Error ? cause.message : String(cause) }, `the local cache in ${path} cannot be opened (${cause instanceof Error ? cause.message : String(cause)}); it is deleted and every partition restores from the changelog`);
      for (const file of DATA_FILES) rmSync(join(path, file), { force: true });
      try {
        root = openRoot(path);
      } catch (again) {
        releaseLock(path);
        throw new EddyError("EDDY_STORE_INVALID", `cannot create the local cache in ${path}: ${again instanceof Error ? again.message : String(again)}; choose a writable --data-dir`, { cause: again });
      }
    }
    this.#root = root;
    this.#records = root.openDB({ name: "records", encoding: "binary" });
    this.#meta = root.openDB({ name: "meta" });
  }

  /** The partition's cached offset, or undefined when nothing usable is cached for it. */
  meta(partition: number): CachedPartition | undefined {
    const m = this.#meta.get(partition);
    if (m === undefined || typeof m.t !== "string" || typeof m.o !== "string" || !/^\d+$/.test(m.o) || typeof m.at !== "number") return undefined;
    return { topicId: m.t, offset: BigInt(m.o), readAt: m.at };
  }

  /** The partition's cached records: changelog key and value. Throws EDDY_STORE_INVALID on a record whose checksum does not match. */
  *records(partition: number): Generator<[string, Buffer]> {
    for (const { key, value } of this.#records.getRange({ start: [partition], end: [partition + 1] })) {
      const name = Array.isArray(key) && typeof key[1] === "string" ? key[1] : undefined;
      if (name === undefined || !Buffer.isBuffer(value) || value.length < 4 || value.readUInt32BE(0) !== checksum(name, value.subarray(4))) {
        throw new EddyError("EDDY_STORE_INVALID", `the local cache of partition ${partition} holds a damaged record (key ${JSON.stringify(name ?? key)})`);
      }
      yield [name, value.subarray(4)];
    }
  }

  /**
   * Applies changelog records read from offsets below `meta.offset` (a value
   * of null is a tombstone) and records that offset, in one LMDB transaction:
   * the cache never holds a record without the offset that covers it.
   */
  async write(partition: number, records: readonly (readonly [string, Buffer | null])[], meta: CachedPartition): Promise<void> {
    if (this.#closed) return;
    await this.#root.transaction(() => {
      for (const [key, value] of records) {
        if (value === null) this.#records.removeSync([partition, key]);
        else this.#records.putSync([partition, key], withChecksum(key, value));
      }
      this.#meta.putSync(partition, { t: meta.topicId, o: String(meta.offset), at: meta.readAt });
    });
  }

  /** Forgets everything cached for the partition. */
  async clear(partition: number): Promise<void> {
    if (this.#closed) return;
    await this.#root.transaction(() => {
      this.#meta.removeSync(partition);
      for (const key of this.#records.getKeys({ start: [partition], end: [partition + 1] })) this.#records.removeSync(key);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#root.close();
    releaseLock(this.path);
  }
}

/** CRC-32 of a record's key and value: LMDB checks nothing of what it stores. */
function checksum(key: string, value: Buffer): number {
  return crc32(value, crc32(key));
}

function withChecksum(key: string, value: Buffer): Buffer {
  const stored = Buffer.allocUnsafe(4 + value.length);
  stored.writeUInt32BE(checksum(key, value), 0);
  value.copy(stored, 4);
  return stored;
}

function openRoot(path: string): RootDatabase {
  const root = open({ path: join(path, DATA_FILES[0]!), maxDbs: 4, compression: false });
  // LMDB creates its files 0664 (less the umask); the cache holds the user's state.
  for (const file of DATA_FILES) if (existsSync(join(path, file))) chmodSync(join(path, file), FILE_MODE);
  return root;
}
