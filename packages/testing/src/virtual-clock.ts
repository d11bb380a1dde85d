import type { Clock } from "@eddy/runtime";

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Time that moves only when a test moves it. Unlike a plain manual clock it
 * can say when its next timer is due, so the test runtime can advance from
 * timer to timer and let what each one fired run (and schedule more) first.
 */
export class VirtualClock implements Clock {
  #now: number;
  #order = 0;
  #timers: Timer[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, delayMs), order: this.#order++, callback, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** When the earliest pending timer is due; undefined when none is pending. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.#timers) if (!t.cancelled && (next === undefined || t.at < next)) next = t.at;
    return next;
  }

  /** Moves to `time` (never backwards) and runs every timer due by then, in due order. */
  advanceTo(time: number): void {
    this.#now = Math.max(this.#now, time);
    const due = this.#timers.filter((t) => !t.cancelled && t.at <= this.#now).sort((a, b) => a.at - b.at || a.order - b.order);
    this.#timers = this.#timers.filter((t) => !t.cancelled && t.at > this.#now);
    for (const t of due) {
      if (t.cancelled) continue;
      t.cancelled = true;
      t.callback();
    }
  }
}
