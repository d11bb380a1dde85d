import { EddyError } from "@eddy/sdk";
import type { BackpressureGate } from "./backpressure-gate.js";

/** What a partition processor does with the backpressure gate's counts as its messages move. */
export type ProcessorGate = Pick<BackpressureGate, "release" | "setAside" | "takeBack" | "addAside" | "releaseAside">;

/**
 * One partition's share of the runtime's backpressure gate, for a partition
 * that can be closed while the runtime runs on (the cluster mode's, when it
 * moves to another worker). It passes every move on to the gate and keeps
 * the partition's own balance of pending and set-aside messages, so closing
 * it gives back exactly what the partition still counts where it counts it:
 * a parked address's messages are counted nowhere, a failing address's are
 * set aside, the rest are pending. Counting "admitted − committed" instead
 * took parked and set-aside messages out of the pending count a second time,
 * and idle() (the drain) then never saw zero.
 *
 * Once closed, later moves are ignored: their messages were given back by the
 * close (a commit that ends after it, or an outcome the stopped processor
 * still reports).
 */
export class GateAccount implements ProcessorGate {
  readonly #gate: BackpressureGate;
  #pending = 0;
  #aside = 0;
  #closed = false;

  constructor(gate: BackpressureGate) {
    this.#gate = gate;
  }

  /** As BackpressureGate.enter, counted on this account; refuses once the account is closed. */
  async enter(count: number, signal?: AbortSignal): Promise<void> {
    await this.#gate.enter(count, signal);
    if (this.#closed) {
      this.#gate.release(count);
      throw new EddyError("EDDY_SHUTTING_DOWN", "the partition was closed while its messages waited at the backpressure gate", { retryable: true });
    }
    this.#pending += count;
  }

  release(count: number): void {
    if (this.#closed) return;
    this.#pending -= count;
    this.#gate.release(count);
  }

  setAside(count: number): void {
    if (this.#closed) return;
    this.#pending -= count;
    this.#aside += count;
    this.#gate.setAside(count);
  }

  takeBack(count: number): void {
    if (this.#closed) return;
    this.#aside -= count;
    this.#pending += count;
    this.#gate.takeBack(count);
  }

  addAside(count: number): void {
    if (this.#closed) return;
    this.#aside += count;
    this.#gate.addAside(count);
  }

  releaseAside(count: number): void {
    if (this.#closed) return;
    this.#aside -= count;
    this.#gate.releaseAside(count);
  }

  /** Gives back what the partition still counts (its messages are not processed here any more); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending !== 0) this.#gate.release(this.#pending);
    if (this.#aside !== 0) this.#gate.releaseAside(this.#aside);
    this.#pending = 0;
    this.#aside = 0;
  }
}
