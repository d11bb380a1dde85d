/**
 * What a worker tells the group in its JoinGroup metadata (opaque bytes to
 * Kafka, JSON here): the partitions it runs, for the sticky assignment; the
 * fingerprint of its module file, its name and when it started, so that a
 * worker with another module file is refused.
 */
export interface MemberReport {
  /** The log partitions the worker runs. */
  readonly owned: readonly number[];
  /** moduleDigest() of the worker's module file. */
  readonly module: string;
  /** host/pid, for messages. */
  readonly worker: string;
  /** When the worker started (epoch ms): of two workers with different modules, the later one leaves. */
  readonly since: number;
}

export function encodeMemberReport(report: MemberReport): Buffer {
  return Buffer.from(JSON.stringify({ p: [...report.owned].sort((a, b) => a - b), m: report.module, w: report.worker, s: report.since }));
}

/** A member's report; an unreadable one counts as a worker that runs nothing and names no module (it only loses stickiness). */
export function decodeMemberReport(metadata: Buffer | null | undefined): MemberReport {
  const none: MemberReport = { owned: [], module: "", worker: "?", since: 0 };
  if (metadata === null || metadata === undefined || metadata.length === 0) return none;
  try {
    const parsed = JSON.parse(metadata.toString()) as { p?: unknown; m?: unknown; w?: unknown; s?: unknown };
    return {
      owned: Array.isArray(parsed.p) ? parsed.p.filter((p): p is number => Number.isInteger(p)) : [],
      module: typeof parsed.m === "string" ? parsed.m : "",
      worker: typeof parsed.w === "string" ? parsed.w : "?",
      since: typeof parsed.s === "number" ? parsed.s : 0,
    };
  } catch {
    return none;
  }
}
