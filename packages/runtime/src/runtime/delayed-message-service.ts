import type { Clock } from "./clock.js";
import type { DelayedMessage } from "../model/commit-unit.js";

interface Entry {
  readonly message: DelayedMessage;
  /** Insertion order: messages due at the same time fire in the order they were sent. */
  readonly seq: number;
  cancelled: boolean;
}

/** Heap order: due time first, then insertion order. */
function before(a: Entry, b: Entry): boolean {
  return a.message.dueAt < b.message.dueAt || (a.message.dueAt === b.message.dueAt && a.seq < b.seq);
}

/**
 * Holds delayed messages until they are due, then hands them to `deliver`.
 * Tokens are indexed per sender, so only the sending address can cancel its
 * message (StateFun's rule); a cancel for an unknown, fired or cancelled token
 * does nothing.
 */
export class DelayedMessageService {
  readonly #clock: Clock;
  readonly #deliver: (message: DelayedMessage) => void;
  /** Min-heap on dueAt. Cancelled entries stay until popped (lazy deletion). */
  readonly #heap: Entry[] = [];
  readonly #byToken = new Map<string, Map<string, Entry>>();
  #timerAt = Infinity;
  #cancelTimer: (() => void) | undefined;
  #live = 0;
  #seq = 0;
  #stopped = false;

  constructor(clock: Clock, deliver: (message: DelayedMessage) => void) {
    this.#clock = clock;
    this.#deliver = deliver;
  }

  get pendingCount(): number {
    return this.#live;
  }

  /** The sender's pending message with this token, if any. */
  lookup(senderKey: string, token: string): DelayedMessage | undefined {
    return this.#byToken.get(senderKey)?.get(token)?.message;
  }

  isPending(senderKey: string, token: string): boolean {
    return this.#byToken.get(senderKey)?.has(token) ?? false;
  }

  add(message: DelayedMessage): void {
    const entry: Entry = { message, seq: this.#seq++, cancelled: false };
    if (message.cancellationToken !== "") {
      let tokens = this.#byToken.get(message.senderKey);
      if (tokens === undefined) {
        tokens = new Map();
        this.#byToken.set(message.senderKey, tokens);
      }
      tokens.set(message.cancellationToken, entry);
    }
    this.#push(entry);
    this.#live++;
    this.#arm();
  }

  cancel(senderKey: string, token: string): boolean {
    const tokens = this.#byToken.get(senderKey);
    const entry = tokens?.get(token);
    if (entry === undefined || tokens === undefined) return false;
    tokens.delete(token);
    if (tokens.size === 0) this.#byToken.delete(senderKey);
    entry.cancelled = true;
    this.#live--;
    return true;
  }

  /** Every message not yet fired or cancelled (for snapshots and tests). */
  pending(): DelayedMessage[] {
    return this.#heap.filter((e) => !e.cancelled).map((e) => e.message);
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #fire(): void {
    this.#cancelTimer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    while (this.#heap.length > 0 && this.#heap[0]!.message.dueAt <= now) {
      const entry = this.#pop()!;
      if (entry.cancelled) continue;
      const { senderKey, cancellationToken } = entry.message;
      if (cancellationToken !== "") {
        const tokens = this.#byToken.get(senderKey);
        tokens?.delete(cancellationToken);
        if (tokens?.size === 0) this.#byToken.delete(senderKey);
      }
      this.#live--;
      this.#deliver(entry.message);
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
    const next = this.#heap[0];
    if (next === undefined || next.message.dueAt >= this.#timerAt) return;
    this.#cancelTimer?.();
    this.#timerAt = next.message.dueAt;
    this.#cancelTimer = this.#clock.schedule(next.message.dueAt - this.#clock.now(), () => this.#fire());
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      const at = (k: number) => (k === i ? last : heap[k]!);
      if (l < heap.length && before(at(l), at(smallest))) smallest = l;
      if (r < heap.length && before(at(r), at(smallest))) smallest = r;
      if (smallest === i) break;
      heap[i] = heap[smallest]!;
      i = smallest;
    }
    heap[i] = last;
    return top;
  }
}
