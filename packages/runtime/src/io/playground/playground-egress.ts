import type { IncomingMessage, ServerResponse } from "node:http";
import { PLAYGROUND_EGRESS_ID, PlaygroundEgressRecordType } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import type { Logger } from "../../log/logger.js";
import type { Egress, EgressContext } from "../../model/egress.js";
import { HTTP_SERVER_DEFAULTS } from "../../config/http-server-spec.js";
import type { HttpServerLimits } from "../../config/http-server-spec.js";
import { corsHeaders, crossOriginProblem, HttpListener, reply } from "../http-server.js";

export interface PlaygroundEgressOptions {
  readonly port: number;
  readonly topics: readonly string[];
  readonly host?: string;
  /** Records kept per topic; further records are dropped (as the playground does). Default 2^20. */
  readonly capacity?: number;
  readonly logger?: Logger;
  /** Timeouts and header size of the HTTP server (`HTTP_SERVER_DEFAULTS` for what is not given). */
  readonly limits?: Partial<HttpServerLimits>;
  /** Origins (`scheme://host[:port]`) whose web pages may pop records; every other browser request is refused. */
  readonly allowedOrigins?: readonly string[];
}

interface QueuedRecord {
  readonly payload: string;
  readonly id: number;
}

/** A FIFO of payloads that pops from the front without shifting the array each time. */
class TopicQueue {
  #items: QueuedRecord[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: QueuedRecord): void {
    this.#items.push(item);
  }

  pop(): QueuedRecord | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/**
 * StateFun's playground egress: functions send `{topic, payload}` records to
 * `io.statefun.playground/egress`; `GET /<topic>` pops one payload (200), 404
 * when the topic is empty, 405 for a topic that is not configured. Only `GET`
 * pops (the playground popped on any method): other methods get 405 and leave
 * the topic as it is, and requests from web pages of origins not in
 * `allowedOrigins` get 403 (an `<img>` on any site could otherwise pop records).
 *
 * With a durable store, a record stays in the store until a GET has popped it
 * and the response was written, so topics survive restarts. A crash between
 * writing a response and forgetting the record can hand that record out once
 * more after the restart; the `Eddy-Record-Id` response header lets consumers
 * drop such a repeat.
 */
export class PlaygroundEgress implements Egress {
  readonly id = PLAYGROUND_EGRESS_ID;
  readonly acknowledgesItself = true;
  #context: EgressContext | undefined;
  readonly #options: PlaygroundEgressOptions;
  readonly #queues = new Map<string, TopicQueue>();
  readonly #capacity: number;
  readonly #http: HttpListener;
  readonly #allowedOrigins: ReadonlySet<string>;
  #dropped = 0;
  /**
   * Records `check` has decoded, for `deliver`: the runtime hands it the same
   * value object after the commit, so the JSON is parsed once, not twice.
   * Records recovered after a restart are new objects and are decoded again.
   */
  readonly #checked = new WeakMap<TypedValue, { readonly topic: string; readonly payload: string }>();

  constructor(options: PlaygroundEgressOptions) {
    this.#options = options;
    this.#allowedOrigins = new Set(options.allowedOrigins ?? []);
    this.#http = new HttpListener((req, res) => this.#handle(req, res), { ...HTTP_SERVER_DEFAULTS, ...options.limits });
    this.#capacity = options.capacity ?? 2 ** 20;
    for (const topic of options.topics) this.#queues.set(topic, new TopicQueue());
  }

  get port(): number {
    return this.#http.port;
  }

  check(record: TypedValue): string | undefined {
    if (record.typename !== PlaygroundEgressRecordType.typename) {
      return `records must have type ${PlaygroundEgressRecordType.typename}, not ${record.typename}`;
    }
    let parsed: unknown;
    try {
      parsed = PlaygroundEgressRecordType.deserialize(record.value ?? new Uint8Array(0));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    const { topic, payload } = (parsed ?? {}) as { topic?: unknown; payload?: unknown };
    if (typeof topic !== "string" || typeof payload !== "string") {
      return `a record is JSON {"topic": string, "payload": string}`;
    }
    if (!this.#queues.has(topic)) {
      return `topic "${topic}" is not configured (topics: ${[...this.#queues.keys()].join(", ")})`;
    }
    this.#checked.set(record, { topic, payload });
    return undefined;
  }

  deliver(records: readonly TypedValue[], ids: readonly number[]): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const { topic, payload } = this.#checked.get(record) ?? PlaygroundEgressRecordType.deserialize(record.value ?? new Uint8Array(0));
      const queue = this.#queues.get(topic)!;
      if (queue.size >= this.#capacity) {
        this.#dropped++;
        this.#options.logger?.warn({ egress: this.id, topic, dropped: this.#dropped }, "topic is full; record dropped");
        this.#context?.acknowledge([ids[i]!]);
        continue;
      }
      queue.push({ payload, id: ids[i] ?? 0 });
    }
  }

  /** Pops the oldest payload of a topic (what `GET /<topic>` does). */
  pop(topic: string): string | undefined {
    const record = this.#queues.get(topic)?.pop();
    if (record !== undefined) this.#context?.acknowledge([record.id]);
    return record?.payload;
  }

  async start(context?: EgressContext): Promise<void> {
    this.#context = context;
    await this.#http.start(this.#options.port, this.#options.host ?? "127.0.0.1");
  }

  async stop(): Promise<void> {
    await this.#http.stop();
  }

  describe(): string {
    return `playground egress on http://${this.#options.host ?? "127.0.0.1"}:${this.#http.port}/<topic> (topics: ${[...this.#queues.keys()].join(", ")})`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const crossOrigin = crossOriginProblem(req, this.#allowedOrigins);
    if (crossOrigin !== undefined) {
      reply(res, 403, `${crossOrigin}\n`);
      return;
    }
    if (req.method !== "GET") {
      reply(res, 405, `${req.method ?? "?"} takes no record; GET /<topic> pops one\n`, { allow: "GET" });
      return;
    }
    const cors = corsHeaders(req, this.#allowedOrigins);
    const path = (req.url ?? "/").split("?", 1)[0]!;
    let topic: string;
    try {
      topic = decodeURIComponent(path.slice(1));
    } catch {
      topic = path.slice(1);
    }
    const queue = this.#queues.get(topic);
    if (queue === undefined) {
      reply(res, 405, `topic "${topic}" is not configured (topics: ${[...this.#queues.keys()].join(", ")})\n`, cors);
      return;
    }
    const record = queue.pop();
    if (record === undefined) {
      reply(res, 404, "", cors);
      return;
    }
    reply(res, 200, record.payload, { ...cors, "eddy-record-id": String(record.id) });
    this.#context?.acknowledge([record.id]);
  }
}
