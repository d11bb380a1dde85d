// Kafka and Kinesis ingresses can start reading "from a date". StateFun parses
// that date with the Java pattern `yyyy-MM-dd HH:mm:ss.SSS Z`, where `Z` is a
// numeric offset such as `+0000` or `-0800`.

import type { ConfigNode } from "./config-node.js";

export const STARTUP_DATE_PATTERN = "yyyy-MM-dd HH:mm:ss.SSS Z";

const DATE_REGEX = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) ([+-])(\d{2})(\d{2})$/u;

/** Epoch milliseconds of a `yyyy-MM-dd HH:mm:ss.SSS Z` date, or undefined when it does not match or names no real instant. */
export function parseStartupDate(text: string): number | undefined {
  const match = DATE_REGEX.exec(text);
  if (match === null) return undefined;
  // The regex guarantees every group is a run of digits.
  const part = (index: number): number => Number(match[index]);
  const [year, month, day, hour, minute, second, millis] = [part(1), part(2), part(3), part(4), part(5), part(6), part(7)] as const;
  const [offsetHours, offsetMinutes] = [part(9), part(10)] as const;
  const localMillis = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2021-02-30 over into March; a round trip catches such impossible dates.
  const check = new Date(localMillis);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second ||
    offsetHours > 18 ||
    offsetMinutes > 59
  ) {
    return undefined;
  }
  const sign = match[8] === "-" ? -1 : 1;
  return localMillis - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** Reads `startupPosition.date`, reporting when it is missing or not in the pattern. */
export function requiredStartupDate(node: ConfigNode): number {
  const text = node.requiredString(`a date like "2020-02-01 04:15:00.000 +0000"`);
  if (text === "") return 0;
  const epochMillis = parseStartupDate(text);
  if (epochMillis === undefined) {
    node.report(`"${text}" does not match the pattern ${STARTUP_DATE_PATTERN} (e.g. "2020-02-01 04:15:00.000 +0000")`);
    return 0;
  }
  return epochMillis;
}
