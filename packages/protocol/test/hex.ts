// Test helpers: hex <-> bytes. Hex strings may contain spaces for readability.

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function unhex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

/** Normalizes a spaced hex literal so it can be compared with `hex(...)`. */
export function h(text: string): string {
  return hex(unhex(text));
}
