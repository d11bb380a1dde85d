import { EddyError } from "./errors.js";

/**
 * A type name is `namespace/name` with exactly one `/` and both parts non-empty.
 * It names function types, egresses, ingresses and value types alike. The
 * official SDKs split on the last `/`; the runtime, like StateFun's, is stricter.
 */
export interface TypeName {
  readonly namespace: string;
  readonly name: string;
}

export function parseTypeName(text: string): TypeName {
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1 || text.indexOf("/", slash + 1) !== -1) {
    throw new EddyError(
      "EDDY_INVALID_TYPENAME",
      `"${text}" is not a valid type name: it must be "namespace/name" with exactly one "/" and both parts non-empty`,
    );
  }
  return { namespace: text.slice(0, slash), name: text.slice(slash + 1) };
}

export function isValidTypeName(text: string): boolean {
  const slash = text.indexOf("/");
  return slash > 0 && slash < text.length - 1 && text.indexOf("/", slash + 1) === -1;
}

/** Throws EDDY_INVALID_TYPENAME unless `text` is a valid type name; returns it unchanged. */
export function checkTypeName(text: string): string {
  if (!isValidTypeName(text)) parseTypeName(text);
  return text;
}
