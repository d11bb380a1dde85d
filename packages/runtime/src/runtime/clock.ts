/**
 * Time as the runtime sees it: processing time for TTLs and delayed messages.
 * Tests pass a ManualClock to move time forward without sleeping.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` once `delayMs` has passed; returns a function that cancels it. */
  schedule(delayMs: number, callback: () => void): () => void;
}

/** The longest delay `setTimeout` takes (about 24.8 days); longer ones fire after 1 ms with a TimeoutOverflowWarning. */
export const MAX_TIMER_STEP_MS = 2 ** 31 - 1;

/** What the system clock needs from the platform; tests pass a virtual one. */
export interface TimerHost {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * A clock on the host's timers. A delay longer than `setTimeout` takes is
 * waited for in steps of at most `MAX_TIMER_STEP_MS`, each re-measured against
 * `now()`, so a timer 30 days out costs two wake-ups, not a spin.
 */
export function timerClock(host: TimerHost): Clock {
  return {
    now: () => host.now(),
    schedule(delayMs, callback) {
      const dueAt = host.now() + Math.max(0, delayMs);
      let handle: unknown;
      const step = (): void => {
        const left = dueAt - host.now();
        if (left > MAX_TIMER_STEP_MS) handle = host.setTimeout(step, MAX_TIMER_STEP_MS);
        else handle = host.setTimeout(callback, Math.max(0, left));
      };
      step();
      return () => host.clearTimeout(handle);
    },
  };
}

export const systemClock: Clock = timerClock({
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

/** A clock that only moves when told to; due callbacks run inside `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; callback: () => void; cancelled: boolean }[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, delayMs), callback, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#now = Math.max(this.#now, due.at);
      due.cancelled = true;
      due.callback();
    }
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    this.#now = target;
  }
}
