import { EddyError } from "@eddy/sdk";

/** Failed attempts after which a message is parked, unless configured otherwise. */
export const DEFAULT_QUARANTINE_AFTER = 10;

/** A per-function-type attempt limit: `ns/name` or `ns/*`. */
export interface QuarantineRule {
  readonly functions: string;
  readonly afterAttempts: number;
}

/**
 * How many failed attempts a message of a function type gets before it is
 * parked. A rule for `ns/name` wins over one for `ns/*`, which wins over the
 * runtime's default (`eddy run --quarantine-after`).
 */
export class QuarantinePolicy {
  readonly defaultAfterAttempts: number;
  readonly #exact = new Map<string, number>();
  readonly #namespaces = new Map<string, number>();
  readonly #cache = new Map<string, number>();

  constructor(defaultAfterAttempts: number = DEFAULT_QUARANTINE_AFTER, rules: readonly QuarantineRule[] = []) {
    checkAttempts(defaultAfterAttempts, "the default quarantine limit");
    this.defaultAfterAttempts = defaultAfterAttempts;
    for (const rule of rules) {
      checkAttempts(rule.afterAttempts, `the quarantine limit of ${rule.functions}`);
      if (rule.functions.endsWith("/*")) this.#namespaces.set(rule.functions.slice(0, -2), rule.afterAttempts);
      else this.#exact.set(rule.functions, rule.afterAttempts);
    }
  }

  afterAttempts(functionType: string): number {
    let n = this.#cache.get(functionType);
    if (n === undefined) {
      const slash = functionType.indexOf("/");
      n = this.#exact.get(functionType) ?? this.#namespaces.get(functionType.slice(0, slash)) ?? this.defaultAfterAttempts;
      this.#cache.set(functionType, n);
    }
    return n;
  }
}

function checkAttempts(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new EddyError("EDDY_CONFIG_INVALID", `${what} must be an integer ≥ 1 attempts, got ${n}`);
}
