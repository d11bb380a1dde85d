import { ConnectionPool, fetchV13, fetchV14, fetchV15, fetchV16, fetchV17 } from "@platformatic/kafka";
import type { Connection, Consumer } from "@platformatic/kafka";

/** The Fetch versions whose request and response have the same shape (topics by id), newest first. */
const FETCH_APIS = [fetchV17, fetchV16, fetchV15, fetchV14, fetchV13];
type FetchApi = (typeof FETCH_APIS)[number]["api"];
type FetchRequestTopic = fetchV17.FetchRequestTopic;
export type FetchResponse = fetchV17.FetchResponse;

/** A full fetch outside any fetch session (KIP-227): the broker keeps no state for it between requests. */
const NO_SESSION_ID = 0;
const NO_SESSION_EPOCH = -1;

export interface PartitionFetch {
  readonly node: number;
  readonly topics: FetchRequestTopic[];
  readonly maxWaitTime: number;
  readonly isolationLevel: number;
  readonly maxBytes?: number;
}

/**
 * Sends Kafka Fetch requests through the client's protocol API, not
 * `Consumer.fetch`. With read_committed, `Consumer.fetch` filters aborted
 * transactions itself, and that filter throws (uncaught, ending the process)
 * on an abort marker of a producer that wrote nothing to the partition, which
 * a transaction fenced between AddPartitionsToTxn and Produce leaves behind.
 * Callers drop aborted records with committedRecords instead. The consumer is
 * used for metadata and the broker's API versions; the connections are this
 * fetcher's own.
 */
export class PartitionFetcher {
  readonly #client: Consumer;
  readonly #pool: ConnectionPool;
  #api: Promise<FetchApi> | undefined;

  constructor(client: Consumer, clientId: string) {
    this.#client = client;
    this.#pool = new ConnectionPool(clientId, {});
  }

  /** The consumer's cluster metadata: cached by the client unless `fresh`. */
  metadata(topics: string[], fresh = false): ReturnType<Consumer["metadata"]> {
    return this.#client.metadata({ topics, ...(fresh ? { forceUpdate: true } : {}) });
  }

  async fetch(options: PartitionFetch): Promise<FetchResponse> {
    const metadata = await this.#client.metadata({ topics: [] });
    const broker = metadata.brokers.get(options.node);
    if (broker === undefined) throw new Error(`no broker with node id ${options.node} in the cluster metadata`);
    const api = await this.#fetchApi();
    const connection = await new Promise<Connection>((resolve, reject) => {
      this.#pool.get(broker, (error, c) => (error === null || error === undefined ? resolve(c!) : reject(error)));
    });
    return api.async(connection, options.maxWaitTime, 1, options.maxBytes ?? 10_485_760, options.isolationLevel, NO_SESSION_ID, NO_SESSION_EPOCH, options.topics, [], "");
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#pool.close(() => resolve()));
  }

  #fetchApi(): Promise<FetchApi> {
    this.#api ??= this.#client.listApis().then(
      (apis) => {
        const fetch = apis.find((a) => a.name === "Fetch");
        const chosen = FETCH_APIS.find((f) => fetch !== undefined && f.api.version >= fetch.minVersion && f.api.version <= fetch.maxVersion);
        if (chosen === undefined) throw new Error(`the broker serves Fetch versions ${fetch?.minVersion ?? "?"}-${fetch?.maxVersion ?? "?"}; Eddy needs one of 13-17 (Kafka 3.1 or newer)`);
        return chosen.api;
      },
      (error: unknown) => {
        this.#api = undefined;
        throw error;
      },
    );
    return this.#api;
  }
}
