import type { Address, TypedValue } from "@eddy/sdk";
import type { DelayedMessage } from "../model/commit-unit.js";
import type { QuarantineRecord } from "../model/quarantine-record.js";
import type { Envelope } from "../model/envelope.js";
import { addressKey } from "../model/envelope.js";
import type { CommittedRecord } from "./log-reader.js";

/**
 * How messages, state and timers are written to the cluster topics.
 *
 * Log record: key = the target's address key (type NUL id), value = the
 * argument's bytes, headers `n` (typename), `c` (caller address key, when
 * a function sent it), `u` (present when the argument has no value).
 *
 * Changelog record keys (per partition, compacted):
 * - `a` NUL type NUL id → {@link AddressRecord} (state values, last consumed log offset)
 * - `t` NUL sender key NUL seq → {@link TimerRecord}; a tombstone once fired or cancelled
 * - `w` → the log offset below which every message of the partition is processed
 * - `i` NUL ingress NUL topic/partition → the next offset of an ingress source partition
 * - `q` NUL type NUL id → {@link ParkedRecord}: the address is parked (quarantined); a tombstone once retried or dropped
 */

const NUL = "\u0000";

/** The address of an address key (type NUL id). */
export function splitKey(key: string): Address {
  const at = key.indexOf(NUL);
  return { type: key.slice(0, at), id: key.slice(at + 1) };
}

export interface LogMessage {
  readonly key: Buffer;
  readonly value: Buffer | undefined;
  readonly headers: Map<Buffer, Buffer>;
}

const H_TYPENAME = Buffer.from("n");
const H_CALLER = Buffer.from("c");
const H_NO_VALUE = Buffer.from("u");
const EMPTY = Buffer.alloc(0);

function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function encodeLogMessage(message: Envelope): LogMessage {
  const headers = new Map<Buffer, Buffer>([[H_TYPENAME, Buffer.from(message.argument.typename)]]);
  if (message.caller !== undefined) headers.set(H_CALLER, Buffer.from(addressKey(message.caller)));
  if (message.argument.value === undefined) headers.set(H_NO_VALUE, EMPTY);
  return { key: Buffer.from(message.key), value: message.argument.value === undefined ? EMPTY : bytes(message.argument.value), headers };
}

/** The message of a log record, with `seq` = its offset; undefined for a record Eddy did not write. */
export function decodeLogMessage(record: CommittedRecord): Envelope | undefined {
  const typename = record.headers.get("n");
  if (record.key === null || typename === undefined) return undefined;
  const key = record.key.toString();
  const caller = record.headers.get("c");
  const argument: TypedValue = {
    typename: typename.toString(),
    value: record.headers.has("u") ? undefined : new Uint8Array(record.value ?? EMPTY),
  };
  return { target: splitKey(key), key, caller: caller === undefined ? undefined : splitKey(caller.toString()), argument, seq: Number(record.offset) };
}

/** One state value: typename, base64 bytes, epoch ms it expires at (0 = never). */
export type StoredState = readonly [typename: string, value: string, expiresAt: number];

export interface AddressRecord {
  /** The highest log offset whose effects this record includes: a replayed message at or below it is skipped. */
  readonly o: number;
  readonly s: Readonly<Record<string, StoredState>>;
}

export interface TimerRecord {
  readonly tok: string;
  readonly due: number;
  readonly tt: string;
  readonly ti: string;
  readonly n: string;
  readonly v?: string;
}

/** A parked address: its failing message (with its log offset) and the failure, as the embedded store keeps it. */
export interface ParkedRecord {
  /** The message: log offset, typename, base64 value (absent for none), caller address key. */
  readonly seq: number;
  readonly n: string;
  readonly v?: string;
  readonly c?: string;
  readonly e: { readonly code: string; readonly message: string; readonly retryable: boolean };
  readonly a: number;
  readonly f: number;
  readonly l: number;
}

export const WATERMARK_KEY = "w";

export function addressRecordKey(targetKey: string): string {
  return `a${NUL}${targetKey}`;
}

export function timerRecordKey(senderKey: string, seq: number): string {
  return `t${NUL}${senderKey}${NUL}${seq}`;
}

export function positionRecordKey(ingress: string, source: string): string {
  return `i${NUL}${ingress}${NUL}${source}`;
}

/** How a partition task keys the ingress positions it restored and keeps: ingress NUL source ("topic/partition", "stream/shard"). */
export function sourcePositionKey(ingress: string, source: string): string {
  return `${ingress}${NUL}${source}`;
}

export function quarantineRecordKey(targetKey: string): string {
  return `q${NUL}${targetKey}`;
}

export function encodeParked(record: QuarantineRecord): ParkedRecord {
  const m = record.message;
  return {
    seq: m.seq,
    n: m.argument.typename,
    ...(m.argument.value === undefined ? {} : { v: bytes(m.argument.value).toString("base64") }),
    ...(m.caller === undefined ? {} : { c: addressKey(m.caller) }),
    e: record.error,
    a: record.attempts,
    f: record.firstFailureAt,
    l: record.lastFailureAt,
  };
}

export function decodeParked(targetKey: string, record: ParkedRecord): QuarantineRecord {
  const target = splitKey(targetKey);
  const argument: TypedValue = { typename: record.n, value: record.v === undefined ? undefined : new Uint8Array(Buffer.from(record.v, "base64")) };
  if (typeof record.seq !== "number" || typeof record.n !== "string" || typeof record.e?.code !== "string") throw new Error("not a parked-address record");
  return {
    target,
    targetKey,
    message: { target, key: targetKey, caller: record.c === undefined ? undefined : splitKey(record.c), argument, seq: record.seq },
    error: record.e,
    attempts: record.a,
    firstFailureAt: record.f,
    lastFailureAt: record.l,
  };
}

export function encodeTimer(message: DelayedMessage): TimerRecord {
  const arg = message.envelope.argument;
  return {
    tok: message.cancellationToken,
    due: message.dueAt,
    tt: message.envelope.target.type,
    ti: message.envelope.target.id,
    n: arg.typename,
    ...(arg.value === undefined ? {} : { v: bytes(arg.value).toString("base64") }),
  };
}

export function decodeTimer(key: string, record: TimerRecord): DelayedMessage {
  const parts = key.split(NUL);
  const sender: Address = { type: parts[1]!, id: parts[2]! };
  const target: Address = { type: record.tt, id: record.ti };
  return {
    sender,
    senderKey: addressKey(sender),
    cancellationToken: record.tok,
    dueAt: record.due,
    envelope: {
      target,
      key: addressKey(target),
      caller: sender,
      argument: { typename: record.n, value: record.v === undefined ? undefined : new Uint8Array(Buffer.from(record.v, "base64")) },
      seq: 0,
    },
    seq: Number(parts[3]),
  };
}

/** What a changelog key names. */
export type ChangelogKey =
  | { readonly kind: "address"; readonly targetKey: string }
  | { readonly kind: "timer"; readonly key: string }
  | { readonly kind: "watermark" }
  | { readonly kind: "position"; readonly ingress: string; readonly source: string }
  | { readonly kind: "parked"; readonly targetKey: string }
  | { readonly kind: "unknown" };

export function parseChangelogKey(key: string): ChangelogKey {
  if (key === WATERMARK_KEY) return { kind: "watermark" };
  if (key.startsWith(`a${NUL}`)) return { kind: "address", targetKey: key.slice(2) };
  if (key.startsWith(`t${NUL}`)) return { kind: "timer", key };
  if (key.startsWith(`q${NUL}`)) return { kind: "parked", targetKey: key.slice(2) };
  if (key.startsWith(`i${NUL}`)) {
    const parts = key.split(NUL);
    return { kind: "position", ingress: parts[1]!, source: parts.slice(2).join(NUL) };
  }
  return { kind: "unknown" };
}
