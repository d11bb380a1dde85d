import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EddyError } from "@eddy/sdk";
import { systemErrorText } from "../log/system-error.js";

const LOCK = "eddy.lock";
/** State and pending messages are the user's data: only the user running Eddy may read them. */
export const DIRECTORY_MODE = 0o700;
export const FILE_MODE = 0o600;

/** What a directory holds: its marker file and layout version, and what to tell a user whose directory is not usable. */
export interface DirectoryKind {
  /** The marker file naming the layout (`eddy-store.json`, `eddy-cluster-cache.json`). */
  readonly marker: string;
  readonly format: number;
  /** What to do with a damaged or unreadable directory of this kind. */
  readonly whenDamaged: string;
  /** What to do with a directory written by a newer Eddy. */
  readonly whenNewer: string;
  /** What to do with a directory of an older, unread layout. */
  readonly whenOlder: string;
}

/**
 * Makes sure the directory is ours and nobody else's: a marker of its kind
 * in a format we read, and no other live Eddy process holding the lock. An
 * empty or missing directory becomes one of this kind.
 */
export function prepareDirectory(path: string, kind: DirectoryKind, mustExist: boolean): void {
  const markerPath = join(path, kind.marker);
  if (mustExist) {
    if (!existsSync(path)) throw new EddyError("EDDY_STORE_INVALID", `the data directory ${path} does not exist; check the path`);
    if (!existsSync(markerPath)) {
      throw new EddyError("EDDY_STORE_INVALID", `${path} is not an Eddy data directory (no ${kind.marker}); check the path`);
    }
  }
  try {
    if (!existsSync(path)) {
      mkdirSync(path, { recursive: true, mode: DIRECTORY_MODE });
      chmodSync(path, DIRECTORY_MODE); // mkdir's mode is reduced by the umask
    }
  } catch (cause) {
    throw new EddyError(
      "EDDY_STORE_INVALID",
      `cannot create the data directory ${path}: ${systemErrorText(cause)}; choose a writable --data-dir`,
      { cause },
    );
  }
  if (existsSync(markerPath)) {
    let marker: { format?: unknown };
    try {
      marker = JSON.parse(readFileSync(markerPath, "utf8")) as { format?: unknown };
    } catch {
      throw new EddyError("EDDY_STORE_INVALID", `${markerPath} is damaged (not JSON); this is not a usable Eddy data directory. ${kind.whenDamaged}`);
    }
    if (typeof marker.format !== "number" || marker.format > kind.format) {
      throw new EddyError(
        "EDDY_STORE_INVALID",
        `the data directory ${path} was written by a newer Eddy (store format ${String(marker.format)}, this version reads ${kind.format}); ${kind.whenNewer}`,
      );
    }
    if (marker.format < kind.format) {
      throw new EddyError(
        "EDDY_STORE_INVALID",
        `the data directory ${path} has store format ${marker.format}, a pre-release layout this version does not read (it reads ${kind.format}); ${kind.whenOlder}`,
      );
    }
  } else {
    const entries = readdirSync(path).filter((e) => e !== LOCK);
    if (entries.length > 0) {
      throw new EddyError(
        "EDDY_STORE_INVALID",
        `${path} is not empty and is not an Eddy data directory (no ${kind.marker}); point --data-dir at an empty or Eddy directory`,
      );
    }
    try {
      writeFileSync(markerPath, `${JSON.stringify({ format: kind.format, createdAt: new Date().toISOString() })}\n`, {
        mode: FILE_MODE,
      });
    } catch (cause) {
      throw new EddyError(
        "EDDY_STORE_INVALID",
        `cannot write to the data directory ${path}: ${systemErrorText(cause)}; choose a writable --data-dir`,
        { cause },
      );
    }
  }
  acquireLock(path);
}

function acquireLock(path: string): void {
  const lockPath = join(path, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: "wx", mode: FILE_MODE });
      return;
    } catch {
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new EddyError(
          "EDDY_STORE_LOCKED",
          `the data directory ${path} is in use by another Eddy process (pid ${pid}); stop it or use another --data-dir`,
        );
      }
      // The lock is stale: its process died without removing it.
      rmSync(lockPath, { force: true });
    }
  }
  throw new EddyError("EDDY_STORE_LOCKED", `cannot take the lock ${lockPath}`);
}

export function releaseLock(path: string): void {
  const lockPath = join(path, LOCK);
  try {
    if (Number(readFileSync(lockPath, "utf8").trim()) === process.pid) rmSync(lockPath, { force: true });
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
