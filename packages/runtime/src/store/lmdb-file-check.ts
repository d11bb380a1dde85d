import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";

const MAGIC = 0xbeefc0de;
/** Where LMDB's meta page keeps its magic number, and the page size (the free-page database's md_pad). */
const MAGIC_AT = 0x18;
const PAGE_SIZE_AT = 0x30;

/**
 * What is wrong with an LMDB data file at first sight, or undefined when its
 * two meta pages look like LMDB's: the magic number, a page size LMDB uses,
 * and a length of whole pages. LMDB trusts its file and may crash the process
 * on one that is not (junk, zeros, a truncated copy), so a file that is only
 * a cache is checked before it is opened. Damage deeper in the file is not
 * seen here; the cache's records carry checksums for that.
 */
export function lmdbFileProblem(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(PAGE_SIZE_AT + 4);
    if (readSync(fd, head, 0, head.length, 0) < head.length) return `it is ${size} bytes, shorter than LMDB's first page`;
    if (head.readUInt32LE(MAGIC_AT) !== MAGIC) return "its first meta page lacks LMDB's magic number";
    const pageSize = head.readUInt32LE(PAGE_SIZE_AT);
    if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) return `its meta page names a page size of ${pageSize} bytes`;
    if (size < 2 * pageSize || size % pageSize !== 0) return `it is ${size} bytes, not a whole number of ${pageSize}-byte pages (at least 2)`;
    const second = Buffer.alloc(4);
    readSync(fd, second, 0, 4, pageSize + MAGIC_AT);
    if (second.readUInt32LE(0) !== MAGIC) return "its second meta page lacks LMDB's magic number";
    return undefined;
  } finally {
    closeSync(fd);
  }
}
