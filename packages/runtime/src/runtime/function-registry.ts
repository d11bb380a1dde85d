import { EddyError, isValidTypeName, REPLY_NAMESPACE } from "@eddy/sdk";
import type { FunctionInvoker, FunctionProvider } from "./function-invoker.js";

interface Binding {
  readonly pattern: string;
  readonly provider: FunctionProvider;
  readonly source: string;
}

/**
 * Which invoker serves which function type. A binding covers one type
 * (`ns/name`) or a namespace (`ns/*`); a specific binding wins over a
 * namespace one, as in StateFun.
 */
export class FunctionRegistry {
  readonly #specific = new Map<string, Binding>();
  readonly #namespaces = new Map<string, Binding>();
  /** Only types some binding covers: caching misses would let a client grow this map with made-up types. */
  readonly #resolved = new Map<string, FunctionInvoker>();

  /** `source` says where the binding came from (a file and line), for the duplicate error. */
  bind(pattern: string, provider: FunctionProvider, source = "code"): void {
    const isNamespace = pattern.endsWith("/*");
    const namespace = pattern.slice(0, -2);
    if (isNamespace ? namespace.length === 0 || namespace.includes("/") || namespace.includes("*") : !isValidTypeName(pattern) || pattern.includes("*")) {
      throw new EddyError("EDDY_CONFIG_INVALID", `"${pattern}" is not a valid function pattern (use "ns/name" or "ns/*")`);
    }
    if ((isNamespace ? namespace : pattern.slice(0, pattern.indexOf("/"))) === REPLY_NAMESPACE) {
      throw new EddyError(
        "EDDY_CONFIG_INVALID",
        `"${pattern}": the namespace ${REPLY_NAMESPACE} is reserved for replies to request/reply calls; bind functions elsewhere`,
      );
    }
    const table = isNamespace ? this.#namespaces : this.#specific;
    const key = isNamespace ? namespace : pattern;
    const existing = table.get(key);
    if (existing !== undefined) {
      throw new EddyError(
        "EDDY_CONFIG_INVALID",
        `functions "${pattern}" are bound twice: at ${existing.source} and at ${source}`,
      );
    }
    table.set(key, { pattern, provider, source });
    this.#resolved.clear();
  }

  /** The invoker for a function type, or undefined when no binding covers it. */
  resolve(functionType: string): FunctionInvoker | undefined {
    const cached = this.#resolved.get(functionType);
    if (cached !== undefined) return cached;
    // Only a valid `ns/name` falls back to its namespace ("abc" or "ab/c/d" must not match "ab/*").
    const binding =
      this.#specific.get(functionType) ??
      (isValidTypeName(functionType)
        ? this.#namespaces.get(functionType.slice(0, functionType.indexOf("/")))
        : undefined);
    if (binding === undefined) return undefined;
    const invoker = binding.provider(functionType);
    this.#resolved.set(functionType, invoker);
    return invoker;
  }

  get patterns(): string[] {
    return [...this.#specific.values(), ...this.#namespaces.values()].map((b) => b.pattern);
  }
}
