import { Types } from "@eddy/sdk";

/** A typed value as the admin API shows it (schema TypedPreview). */
export interface TypedPreview {
  readonly typename: string;
  readonly encoding: "json" | "base64";
  readonly value: unknown;
  readonly size: number;
  /** Set when only the first `maxBytes` are shown (base64 previews of large values). */
  readonly truncated?: true;
}

const BUILT_IN = new Map<string, (bytes: Uint8Array) => unknown>(
  Object.values(Types).map((t) => [t.typename, (bytes: Uint8Array) => t.deserialize(bytes)]),
);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a value for people: built-in types by StateFun's encoding, values
 * that are UTF-8 JSON (jsonType and most custom types) as JSON, anything else
 * (protobuf, raw bytes) as base64.
 */
export function typedPreview(typename: string, bytes: Uint8Array | undefined, maxBytes = Infinity): TypedPreview {
  const value = bytes ?? new Uint8Array(0);
  const builtIn = BUILT_IN.get(typename);
  if (builtIn !== undefined) {
    try {
      const decoded = builtIn(value);
      return { typename, encoding: "json", value: typeof decoded === "bigint" ? decoded.toString() : decoded, size: value.length };
    } catch {
      // Bytes that do not decode as their type are shown raw.
    }
  } else if (value.length > 0 && value.length <= maxBytes) {
    try {
      return { typename, encoding: "json", value: JSON.parse(utf8.decode(value)) as unknown, size: value.length };
    } catch {
      // Not JSON: base64 below.
    }
  }
  const shown = value.length > maxBytes ? value.subarray(0, maxBytes) : value;
  return {
    typename,
    encoding: "base64",
    value: Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString("base64"),
    size: value.length,
    ...(shown.length < value.length ? { truncated: true as const } : {}),
  };
}
