import { inspect } from "node:util";
import type { Logger } from "../../log/logger.js";
import { backoffDelay } from "../../retry/backoff.js";
import type { BackoffPolicy } from "../../retry/backoff.js";

/** Splits a bootstrap list ("a:9092,b:9092") as Kafka's `bootstrap.servers` does. */
export function bootstrapBrokers(address: string): string[] {
  return address
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The client retries each request with this delay. Kafka answers
 * CONCURRENT_TRANSACTIONS / COORDINATOR_LOAD_IN_PROGRESS for a few
 * milliseconds after every transaction commit; the client's default 1 s retry
 * delay made transactions ~45× slower (1.4 instead of 63 per second), so those
 * retry soon while connection errors back off. "Soon" grows (10, 20, 40, 80,
 * 160 ms): on a loaded broker the previous transaction's markers took longer
 * than five 10 ms retries, and the transaction failed (a cluster partition
 * then closes and restores).
 */
export function retryDelay(_client: unknown, _operation: string, attempt: number, _retries: number, error: Error): number {
  const ids = kafkaErrorIds(error);
  if (QUICK_RETRY_ERRORS.some((id) => ids.has(id))) return backoffDelay(QUICK_RETRY_BACKOFF, attempt - 1);
  return backoffDelay(CLIENT_RETRY_BACKOFF, attempt);
}

const CLIENT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 1_000, jitter: 0 };
const QUICK_RETRY_BACKOFF: BackoffPolicy = { initialMs: 10, maxMs: 160, jitter: 0 };
const QUICK_RETRY_ERRORS = ["CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "NOT_COORDINATOR", "REBALANCE_IN_PROGRESS"];

/**
 * The identifiers the client's error carries, its own and those of the errors nested in it
 * (`errors` of its aggregate errors, `cause`): Kafka error ids (`apiId`, e.g. "PRODUCER_FENCED"),
 * the client's codes (`code`, e.g. "PLT_KFK_NETWORK") and Node's (`ECONNREFUSED`). Read from the
 * fields, never from message text, which a broker or a future client may word differently.
 */
export function kafkaErrorIds(error: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 6 || !(e instanceof Error)) return;
    for (const field of [(e as { apiId?: unknown }).apiId, (e as { code?: unknown }).code]) {
      if (typeof field === "string") ids.add(field);
    }
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const n of nested) visit(n, depth + 1);
    visit(e.cause, depth + 1);
  };
  visit(error, 0);
  return ids;
}

/** The error and, for the client's aggregate errors, every nested reason: the top message alone says little. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (depth > 4 || e === null || e === undefined) return;
    if (e instanceof Error) {
      const api = (e as { apiId?: unknown }).apiId;
      parts.push(typeof api === "string" ? `${e.message} [${api}]` : e.message);
      const nested = (e as { errors?: unknown }).errors;
      if (Array.isArray(nested)) for (const n of nested) visit(n, depth + 1);
    } else {
      parts.push(typeof e === "string" ? e : inspect(e));
    }
  };
  visit(error, 0);
  return [...new Set(parts)].join("; ");
}

/** True when the error (or a nested one) carries this Kafka error name, e.g. "PRODUCER_FENCED". */
export function hasKafkaError(error: unknown, apiId: string): boolean {
  return kafkaErrorIds(error).has(apiId);
}

/** Reads an integer client setting from Kafka-style `properties`; a bad value is logged and ignored. */
export function intProperty(
  properties: Readonly<Record<string, string>>,
  key: string,
  logger: Logger,
  fields: Record<string, unknown>,
): number | undefined {
  const raw = properties[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    logger.warn({ ...fields, property: key, value: raw }, `property ${key} is not a non-negative integer; ignored`);
    return undefined;
  }
  return n;
}

/** Warns once about Kafka properties this client does not apply (e.g. SASL settings), so none is silently dropped. */
export function warnUnsupported(
  properties: Readonly<Record<string, string>>,
  supported: ReadonlySet<string>,
  logger: Logger,
  fields: Record<string, unknown>,
): void {
  const ignored = Object.keys(properties).filter((k) => !supported.has(k));
  if (ignored.length > 0) {
    logger.warn({ ...fields, properties: ignored }, `Kafka properties not supported by Eddy's Kafka client are ignored: ${ignored.join(", ")}`);
  }
}

/** Closes a client without waiting for in-flight requests; a failing close only means it is already gone. */
export function closeQuietly(client: { close(force: boolean, callback: (error?: Error | null) => void): void }): Promise<void> {
  return new Promise((resolve) => {
    try {
      client.close(true, () => resolve());
    } catch {
      resolve();
    }
  });
}
