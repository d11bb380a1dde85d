// A real kinesalite for the Kinesis tests, in this process on a free port of
// 127.0.0.1, plus small helpers to create streams and read them back.
import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import type { _Record } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { waitFor as waitUntil } from "../support/wait-for.js";

type KinesaliteFactory = (options: Record<string, unknown>) => Server;

export interface Kinesalite {
  readonly endpoint: string;
  readonly client: KinesisClient;
  close(): Promise<void>;
}

export const REGION = "us-east-1";
export const ACCESS_KEY_ID = "test-key";
export const SECRET_ACCESS_KEY = "test-secret";

export async function startKinesalite(): Promise<Kinesalite> {
  const kinesalite = createRequire(import.meta.url)("kinesalite") as KinesaliteFactory;
  const server = kinesalite({ createStreamMs: 5, deleteStreamMs: 5, updateStreamMs: 5, shardLimit: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"; // as createKinesisClient does
  const client = new KinesisClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    requestHandler: new NodeHttpHandler(),
  });
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let streamCounter = 0;
/** A stream name no other test uses. */
export function uniqueStream(prefix: string): string {
  return `${prefix}-${process.pid}-${++streamCounter}`;
}

export async function createStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitFor(async () => {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE";
  }, `stream ${name} to become active`);
}

export async function shardIds(client: KinesisClient, stream: string): Promise<string[]> {
  const result = await client.send(new ListShardsCommand({ StreamName: stream }));
  return (result.Shards ?? []).map((s) => s.ShardId!);
}

/** Every record of every shard, from the start, shard by shard. */
export async function readAll(client: KinesisClient, stream: string): Promise<(_Record & { shard: string })[]> {
  const out: (_Record & { shard: string })[] = [];
  for (const shard of await shardIds(client, stream)) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard, ShardIteratorType: "TRIM_HORIZON" }))
    ).ShardIterator;
    while (iterator !== undefined) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const records = page.Records ?? [];
      out.push(...records.map((r) => ({ ...r, shard })));
      if (records.length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

export function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  return waitUntil(what, condition, timeoutMs);
}

/** Hash keys that put a record in shard `index` of a stream created with `count` evenly split shards. */
export function hashKeyForShard(index: number, count: number): string {
  const space = 1n << 128n;
  return ((space / BigInt(count)) * BigInt(index) + 1n).toString();
}
