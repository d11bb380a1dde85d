/**
 * A Node system error (ENOENT, EACCES, EADDRINUSE, ...) as words for a message
 * that already names the path or port: "permission denied (EACCES)" rather
 * than Node's "EACCES: permission denied, mkdir '/x'".
 */
export function systemErrorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (!isSystemError(error)) return error instanceof Error ? error.message : String(error);
  const text = e.message.replace(`${e.code}: `, "").replace(/, \w+ '.*'$/, "");
  return `${text} (${e.code})`;
}

/** True for errors raised by a system call (they carry `code` and `syscall`), which need no stack trace. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  const e = error as NodeJS.ErrnoException | null;
  return error instanceof Error && typeof e?.code === "string" && typeof e.syscall === "string";
}
