import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { EddyError } from "@eddy/sdk";
import type { LmdbStateStore, SnapshotRecord } from "./lmdb-state-store.js";

export const SNAPSHOT_FORMAT = "eddy-snapshot";
export const SNAPSHOT_VERSION = 1;
const RECORD_KINDS = new Set(["specs", "state", "message", "timer", "egress", "position", "ids"]);

/**
 * Writes the whole store to a portable JSON-lines file (StateFun's savepoint,
 * for Eddy): a header line, then one record per line. See docs/durability.md.
 */
export async function exportSnapshot(store: LmdbStateStore, file: string): Promise<number> {
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, "drain");
  };
  await write(JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, exportedAt: new Date().toISOString() }));
  let count = 0;
  for (const record of store.snapshot()) {
    await write(JSON.stringify(record));
    count++;
  }
  out.end();
  await once(out, "finish");
  return count;
}

/** Loads a snapshot file into an empty store; returns the number of records. */
export async function importSnapshot(file: string, store: LmdbStateStore): Promise<number> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const records: SnapshotRecord[] = [];
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new EddyError("EDDY_STORE_INVALID", `${file}:${lineNo}: not a JSON line; is this an Eddy snapshot?`);
    }
    if (lineNo === 1) {
      const header = parsed as { format?: unknown; version?: unknown };
      if (header.format !== SNAPSHOT_FORMAT) {
        throw new EddyError("EDDY_STORE_INVALID", `${file}:1: not an Eddy snapshot (no "format": "${SNAPSHOT_FORMAT}" header)`);
      }
      if (typeof header.version !== "number" || header.version > SNAPSHOT_VERSION) {
        throw new EddyError("EDDY_STORE_INVALID", `${file}:1: snapshot version ${String(header.version)} is newer than this Eddy reads (${SNAPSHOT_VERSION})`);
      }
      continue;
    }
    const t = (parsed as { t?: unknown }).t;
    if (!RECORD_KINDS.has(t as string)) {
      throw new EddyError("EDDY_STORE_INVALID", `${file}:${lineNo}: unknown record kind ${JSON.stringify(t)}`);
    }
    records.push(parsed as SnapshotRecord);
  }
  if (lineNo === 0) throw new EddyError("EDDY_STORE_INVALID", `${file} is empty`);
  return store.load(records);
}
