// StateFun names everything (functions, ingresses, egresses, value types) with
// `namespace/name`. These checks return a rule text instead of throwing so the
// caller can attach the position of the offending node.

import type { FunctionPattern } from "./module-config.js";

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rule: string };

/** `ns/name`: exactly one `/`, both sides non-empty, no whitespace and no `*` (that is only for patterns). */
export function checkTypeName(text: string): Checked<{ namespace: string; name: string }> {
  const split = splitTypeName(text);
  if (split.ok && text.includes("*")) {
    return { ok: false, rule: `"${text}" is not a valid type name: "*" is only allowed in function patterns ("ns/*")` };
  }
  return split;
}

function splitTypeName(text: string): Checked<{ namespace: string; name: string }> {
  // A stray space (usually from quoting) would silently name a different type than the one messages carry.
  if (/\s/u.test(text)) return { ok: false, rule: `"${text}" is not a valid type name: it contains whitespace` };
  const parts = text.split("/");
  const [namespace, name] = parts;
  if (parts.length !== 2 || namespace === undefined || name === undefined || namespace === "" || name === "") {
    return { ok: false, rule: `"${text}" is not a valid type name (use "namespace/name")` };
  }
  return { ok: true, value: { namespace, name } };
}

/** `ns/name` binds one function type, `ns/*` a whole namespace; `*` anywhere else is invalid. */
export function checkFunctionPattern(text: string): Checked<FunctionPattern> {
  const invalid = { ok: false, rule: `"${text}" is not a valid function pattern (use "ns/name" or "ns/*")` } as const;
  const typeName = splitTypeName(text);
  if (!typeName.ok) return /\s/u.test(text) ? { ok: false, rule: `"${text}" is not a valid function pattern: it contains whitespace` } : invalid;
  const { namespace, name } = typeName.value;
  if (namespace.includes("*")) return invalid;
  if (name === "*") return { ok: true, value: { kind: "namespace", text, namespace } };
  if (name.includes("*")) return invalid;
  return { ok: true, value: { kind: "function", text, namespace, name } };
}
