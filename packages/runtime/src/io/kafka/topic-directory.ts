import { Admin } from "@platformatic/kafka";
import type { Logger } from "../../log/logger.js";
import { Backoff } from "../../retry/backoff.js";
import { sleep } from "../../retry/sleep.js";
import { describeError, retryDelay } from "./kafka-common.js";

/** How often a topic that was missing is looked up again when a record names it. */
const MISSING_RECHECK_MS = 1_000;

/**
 * Which topics a Kafka egress can write to, so that `check()` (synchronous,
 * before the invocation commits) can refuse a record to a topic that does not
 * exist on a broker that does not create topics (`auto.create.topics.enable
 * = false`). Without it such a record is committed to the outbox, every
 * delivery attempt fails with UNKNOWN_TOPIC_OR_PARTITION, and the records of
 * every other address behind it wait forever; in a cluster it fails the whole
 * partition's transaction. Refused, it fails only the invocation that wrote
 * it, which is retried (and parked after the retry limit) at its own address
 * until someone creates the topic.
 *
 * The egress's start loads it (`load()`). The directory knows nothing until
 * the broker answered once; until then it refuses nothing (what Eddy did before it existed). When the broker creates
 * topics itself, every valid name is accepted.
 */
export class KafkaTopicDirectory {
  readonly #brokers: string[];
  readonly #clientId: string;
  readonly #logger: Logger;
  readonly #abort = new AbortController();
  #admin: Admin | undefined;
  /** Undefined until the broker said whether it creates topics. */
  #autoCreate: boolean | undefined;
  readonly #known = new Set<string>();
  /** Topic → when it was last found missing. */
  readonly #missing = new Map<string, number>();
  readonly #lookups = new Set<string>();
  #loading: Promise<void> | undefined;

  constructor(options: { brokers: string[]; clientId: string; logger: Logger }) {
    this.#brokers = options.brokers;
    this.#clientId = options.clientId;
    this.#logger = options.logger;
  }

  /**
   * Reads the broker's `auto.create.topics.enable` and topic list. Resolves
   * after the first answer or the first failure; after a failure it keeps
   * trying in the background (with the shared backoff) until it has an answer.
   */
  load(): Promise<void> {
    if (this.#loading !== undefined) return this.#loading;
    let firstAttempt!: () => void;
    this.#loading = new Promise<void>((resolve) => (firstAttempt = resolve));
    void this.#loadUntilAnswered(firstAttempt);
    return this.#loading;
  }

  /** Why a record to `topic` cannot be written now, or undefined. */
  problem(topic: string): string | undefined {
    if (this.#autoCreate !== false || this.#known.has(topic)) return undefined;
    const missingSince = this.#missing.get(topic);
    if (missingSince === undefined || Date.now() - missingSince >= MISSING_RECHECK_MS) this.#lookUp(topic);
    return (
      `Kafka topic "${topic}" does not exist on ${this.#brokers.join(",")}, and the broker does not create topics ` +
      `(auto.create.topics.enable=false): create it; the invocation is retried with backoff and goes through once the topic exists`
    );
  }

  /**
   * Of `topics`, those the broker does not have, when it does not create
   * topics (a delivery failed: were they deleted after their records were
   * accepted?). From now on `problem()` refuses them until a lookup finds
   * them again. An empty set when the broker creates topics or could not be
   * asked.
   */
  async missingOf(topics: Iterable<string>): Promise<Set<string>> {
    const missing = new Set<string>();
    if (this.#autoCreate !== false) return missing;
    let existing: Set<string>;
    try {
      existing = new Set(await this.#client().listTopics({ includeInternals: true }));
    } catch {
      return missing;
    }
    for (const topic of topics) {
      if (existing.has(topic)) {
        this.#known.add(topic);
        continue;
      }
      missing.add(topic);
      this.#known.delete(topic);
      this.#missing.set(topic, Date.now());
    }
    return missing;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    const admin = this.#admin;
    this.#admin = undefined;
    // The admin client's close takes no `force` flag (closeQuietly is for consumers and producers).
    if (admin !== undefined) await admin.close().catch(() => undefined);
  }

  async #loadUntilAnswered(firstAttempt: () => void): Promise<void> {
    const backoff = new Backoff();
    while (!this.#abort.signal.aborted) {
      try {
        await this.#readBroker();
        firstAttempt();
        return;
      } catch (error) {
        firstAttempt();
        if (this.#abort.signal.aborted) return;
        const delay = backoff.next();
        this.#logger.debug({ err: describeError(error), retryInMs: delay }, "Kafka egress: cannot read the broker's topic list yet; records are not checked against it until then");
        try {
          await sleep(delay, this.#abort.signal);
        } catch {
          return;
        }
      }
    }
  }

  async #readBroker(): Promise<void> {
    const admin = this.#client();
    const metadata = await admin.metadata({ topics: [] });
    const [brokerId] = [...metadata.brokers.keys()];
    let autoCreate = true;
    if (brokerId !== undefined) {
      const [description] = await admin.describeConfigs({
        resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(brokerId), configurationKeys: ["auto.create.topics.enable"] }],
      });
      const value = description?.configs.find((c) => c.name === "auto.create.topics.enable")?.value;
      autoCreate = value !== "false";
    }
    if (!autoCreate) for (const topic of await admin.listTopics({ includeInternals: true })) this.#known.add(topic);
    this.#autoCreate = autoCreate;
  }

  #lookUp(topic: string): void {
    if (this.#lookups.has(topic) || this.#abort.signal.aborted) return;
    this.#lookups.add(topic);
    const found = (exists: boolean): void => {
      this.#lookups.delete(topic);
      if (exists) {
        this.#known.add(topic);
        this.#missing.delete(topic);
      } else {
        if (!this.#missing.has(topic)) this.#logger.warn({ topic }, `Kafka egress: topic "${topic}" does not exist and the broker does not create topics; records to it are refused until it is created`);
        this.#missing.set(topic, Date.now());
      }
    };
    this.#client()
      .listTopics({ includeInternals: true })
      .then(
        (topics) => found(topics.includes(topic)),
        // Not an answer: look again at the next record that names it.
        () => this.#lookups.delete(topic),
      );
  }

  #client(): Admin {
    this.#admin ??= new Admin({ clientId: this.#clientId, bootstrapBrokers: this.#brokers, retries: 2, retryDelay });
    return this.#admin;
  }
}

/** DescribeConfigs' resource type for a broker (Kafka's ConfigResource.Type.BROKER). */
const BROKER_RESOURCE = 4;
