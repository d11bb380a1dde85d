// Durations follow Flink's TimeUtils.parseDuration, because that is what
// StateFun runs every duration in module.yaml through: `<digits><spaces?><unit>`,
// a bare number means milliseconds, and the unit is matched case-insensitively.

/** Nanoseconds per unit label, exactly Flink's label set (plural `s` only where Flink allows it). */
const NANOS_PER_UNIT: ReadonlyMap<string, bigint> = (() => {
  const units: Array<[bigint, string[], string[]]> = [
    // [nanos, labels without plural, labels that also take an `s`]
    [86_400_000_000_000n, ["d"], ["day"]],
    [3_600_000_000_000n, ["h"], ["hour"]],
    [60_000_000_000n, ["min", "m"], ["minute"]],
    [1_000_000_000n, ["s"], ["sec", "second"]],
    [1_000_000n, ["ms"], ["milli", "millisecond"]],
    [1_000n, ["µs"], ["micro", "microsecond"]],
    [1n, ["ns"], ["nano", "nanosecond"]],
  ];
  const table = new Map<string, bigint>();
  for (const [nanos, singular, plural] of units) {
    for (const label of singular) table.set(label, nanos);
    for (const label of plural) {
      table.set(label, nanos);
      table.set(`${label}s`, nanos);
    }
  }
  return table;
})();

const UNIT_HINT = "d, h, min/m, s/sec, ms, µs, ns, or their long forms such as minutes";

/** The longest delay Node.js's setTimeout honours (2^31 - 1 ms); module-file durations must fit in it. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export type DurationResult = { readonly ok: true; readonly millis: number } | { readonly ok: false; readonly rule: string };

/** Like {@link parseDuration}, but reports a bad value as data so callers can collect it. */
export function tryParseDuration(value: string | number): DurationResult {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      return { ok: false, rule: `${value} is not a valid duration (use a whole, non-negative number of milliseconds or e.g. "10 s")` };
    }
    return { ok: true, millis: value };
  }

  const text = value.trim();
  const match = /^(\d+)\s*(.*)$/su.exec(text);
  if (match === null) {
    return { ok: false, rule: `"${value}" is not a valid duration (expected a number and an optional unit, e.g. "2 min")` };
  }
  const [, digits = "", rawUnit = ""] = match;
  const unit = rawUnit.toLowerCase();
  const nanosPerUnit = unit === "" ? 1_000_000n : NANOS_PER_UNIT.get(unit);
  if (nanosPerUnit === undefined) {
    return { ok: false, rule: `"${value}" has an unknown time unit "${rawUnit}" (use ${UNIT_HINT})` };
  }
  // BigInt keeps huge values and sub-millisecond units exact; division rounds down as Flink's Duration.toMillis does.
  const millis = (BigInt(digits) * nanosPerUnit) / 1_000_000n;
  if (millis > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ok: false, rule: `"${value}" is too large a duration` };
  }
  return { ok: true, millis: Number(millis) };
}

/**
 * Parses a Flink duration such as `1 min`, `10sec`, `2m`, `15min`, `1day` or
 * `100` (no unit means milliseconds) into whole milliseconds, rounding
 * sub-millisecond values down. Numbers are taken as milliseconds.
 *
 * @param where optional label (e.g. a key path) put in front of the message.
 * @throws RangeError for negative, fractional or malformed values and unknown units.
 * @example parseDuration("1 min") // 60000
 */
export function parseDuration(text: string | number, where?: string): number {
  const result = tryParseDuration(text);
  if (result.ok) return result.millis;
  throw new RangeError(where === undefined ? result.rule : `${where}: ${result.rule}`);
}

/** Milliseconds back in the largest unit that divides them, for messages: `10 s`, `2 min`, `1500 ms`. */
export function formatDuration(millis: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1_000, "s"],
  ];
  for (const [size, label] of units) {
    if (millis !== 0 && millis % size === 0) return `${millis / size} ${label}`;
  }
  return `${millis} ms`;
}
