import { randomBytes } from "node:crypto";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { formatAddress } from "@eddy/sdk";
import type { Address, TypedValue } from "@eddy/sdk";
import type { Logger } from "../../log/logger.js";
import { reply } from "../http-server.js";

interface Pending {
  readonly res: ServerResponse;
  readonly target: Address;
  readonly headers: OutgoingHttpHeaders;
  readonly timer: NodeJS.Timeout;
  /** The message is in the log: it will be processed exactly once, whatever happens to this request. */
  accepted: boolean;
  /** The timeout passed before the message was accepted: answer 504 as soon as it is. */
  timedOut: boolean;
}

/**
 * The HTTP requests of a request/reply ingress that wait for their reply.
 * Each gets a reply address (`<replyType>/<process token>.<n>`) that its
 * message carries as caller; `receive` answers the request with the value a
 * function sent there, once the sending invocation committed.
 *
 * A reply whose request is gone — it timed out (504), the client hung up, the
 * ingress stopped (503), or the process restarted (the token differs) — is
 * dropped and counted; the message it answers was processed exactly once all
 * the same. A second reply to one request is dropped too.
 */
export class PendingRequests {
  readonly replyType: string;
  readonly timeoutMs: number;
  readonly #logger: Logger | undefined;
  /** Request ids of an earlier process (recovered messages) never match one of this process. */
  readonly #token = randomBytes(6).toString("hex");
  readonly #pending = new Map<string, Pending>();
  #next = 0;
  #dropped = 0;

  constructor(options: { replyType: string; timeoutMs: number; logger?: Logger }) {
    this.replyType = options.replyType;
    this.timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
  }

  /** Requests waiting for their reply now. */
  get waiting(): number {
    return this.#pending.size;
  }

  /** Replies that found no waiting request. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Registers a request that waits for the reply to a message to `target`; returns the caller address the message carries. */
  open(res: ServerResponse, target: Address, headers: OutgoingHttpHeaders): Address {
    const id = `${this.#token}.${(this.#next++).toString(36)}`;
    const timer = setTimeout(() => this.#timeout(id), this.timeoutMs);
    this.#pending.set(id, { res, target, headers, timer, accepted: false, timedOut: false });
    res.once("close", () => {
      // The client hung up before it was answered; a later reply is dropped.
      if (!res.writableEnded) this.#forget(id);
    });
    return { type: this.replyType, id };
  }

  /** The request's message is in the log. */
  accepted(caller: Address): void {
    const entry = this.#pending.get(caller.id);
    if (entry === undefined) return;
    entry.accepted = true;
    if (entry.timedOut) this.#answerTimeout(caller.id, entry);
  }

  /** The message was not accepted; the caller answers the request itself. */
  refused(caller: Address): void {
    this.#forget(caller.id);
  }

  /** A committed reply: answers its request, or is dropped when the request is gone. */
  receive(to: Address, value: TypedValue): void {
    const entry = this.#pending.get(to.id);
    if (entry === undefined) {
      this.#dropped++;
      this.#logger?.debug({ replyTo: formatAddress(to), dropped: this.#dropped }, "reply dropped: its request timed out, hung up or belongs to an earlier run");
      return;
    }
    this.#forget(to.id);
    reply(entry.res, 200, value.value ?? new Uint8Array(0), {
      ...entry.headers,
      "content-type": `application/vnd.${value.typename}`,
    });
  }

  /** Answers every waiting request with 503 (the ingress stops); their messages are still processed. */
  closeAll(): void {
    for (const [id, entry] of this.#pending) {
      this.#forget(id);
      reply(
        entry.res,
        503,
        `the runtime is stopping before ${formatAddress(entry.target)} replied. ${entry.accepted ? "The message was accepted: it is still processed exactly once, but its reply is not sent" : "The message may not have been accepted; retry later"}\n`,
        entry.headers,
      );
    }
  }

  #timeout(id: string): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    // Until the message is accepted we cannot say whether it will be processed; wait for that.
    if (!entry.accepted) entry.timedOut = true;
    else this.#answerTimeout(id, entry);
  }

  #answerTimeout(id: string, entry: Pending): void {
    this.#forget(id);
    reply(
      entry.res,
      504,
      `no reply from ${formatAddress(entry.target)} within ${this.timeoutMs} ms. The message was accepted: it is processed exactly once, and a reply that comes later is dropped\n`,
      entry.headers,
    );
  }

  #forget(id: string): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#pending.delete(id);
  }
}
