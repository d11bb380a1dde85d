import { readFile } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import type { KinesisClientConfig } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { EddyError } from "@eddy/sdk";
import type { AwsCredentials, AwsRegion } from "../../config/module-config.js";

/** What the ingress and egress need of a Kinesis client; tests can stand in for it. */
export interface KinesisApi {
  send: KinesisClient["send"];
  destroy(): void;
}

/** Settings from `clientConfigProperties` that Eddy understands, plus the keys it ignores. */
export interface KinesisClientSettings {
  readonly config: KinesisClientConfig;
  /** Keys of `clientConfigProperties` with no meaning here; logged once at startup. */
  readonly ignored: readonly string[];
  /** Ingress only: GetRecords `Limit` (flink.shard.getrecords.maxrecordcount). */
  readonly maxRecordsPerGet?: number;
  /** Ingress only: pause between GetRecords calls of one shard (flink.shard.getrecords.intervalmillis). */
  readonly getRecordsIntervalMs?: number;
  /** Ingress only: how often new shards are looked for (flink.shard.discovery.intervalmillis). */
  readonly shardDiscoveryIntervalMs?: number;
}

/**
 * StateFun hands `clientConfigProperties` to the AWS Java client (ingress:
 * Flink consumer / ClientConfiguration keys, egress: KPL keys). These are the
 * ones with a counterpart in the JS SDK; matching ignores case and an
 * `aws.clientconfig.` prefix because both spellings appear in StateFun setups.
 */
function normalizeKey(key: string): string {
  const lower = key.toLowerCase();
  return lower.startsWith("aws.clientconfig.") ? lower.slice("aws.clientconfig.".length) : lower;
}

function positiveInt(key: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new EddyError("EDDY_CONFIG_INVALID", `clientConfigProperties ${key}: expected a positive integer, got "${value}"`);
  }
  return n;
}

function nonNegativeInt(key: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new EddyError("EDDY_CONFIG_INVALID", `clientConfigProperties ${key}: expected an integer ≥ 0, got "${value}"`);
  }
  return n;
}

/**
 * Maps StateFun's `awsRegion`, `awsCredentials` and `clientConfigProperties`
 * to an AWS SDK v3 client configuration.
 *
 * @throws EddyError EDDY_CONFIG_INVALID for a property value that cannot be used.
 */
export function kinesisClientSettings(
  region: AwsRegion,
  credentials: AwsCredentials,
  properties: Readonly<Record<string, string>>,
): KinesisClientSettings {
  let connectionTimeout: number | undefined;
  let requestTimeout: number | undefined;
  let maxSockets: number | undefined;
  let maxAttempts: number | undefined;
  let endpoint: string | undefined;
  let kplEndpoint: string | undefined;
  let kplPort: string | undefined;
  let maxRecordsPerGet: number | undefined;
  let getRecordsIntervalMs: number | undefined;
  let shardDiscoveryIntervalMs: number | undefined;
  const ignored: string[] = [];

  for (const [key, value] of Object.entries(properties)) {
    switch (normalizeKey(key)) {
      case "connectiontimeout":
      case "connecttimeout":
        connectionTimeout = positiveInt(key, value);
        break;
      case "sockettimeout":
      case "requesttimeout":
        requestTimeout = positiveInt(key, value);
        break;
      case "maxconnections":
        maxSockets = positiveInt(key, value);
        break;
      case "maxerrorretry":
        // The Java setting counts retries; the JS SDK counts attempts.
        maxAttempts = nonNegativeInt(key, value) + 1;
        break;
      case "aws.endpoint":
      case "endpoint":
        endpoint = value;
        break;
      case "kinesisendpoint":
        kplEndpoint = value;
        break;
      case "kinesisport":
        kplPort = value;
        break;
      case "flink.shard.getrecords.maxrecordcount":
        maxRecordsPerGet = Math.min(positiveInt(key, value), 10_000);
        break;
      case "flink.shard.getrecords.intervalmillis":
        getRecordsIntervalMs = nonNegativeInt(key, value);
        break;
      case "flink.shard.discovery.intervalmillis":
        shardDiscoveryIntervalMs = positiveInt(key, value);
        break;
      default:
        ignored.push(key);
    }
  }
  if (endpoint === undefined && kplEndpoint !== undefined) {
    // KPL takes a bare host name and a port; it always speaks HTTPS.
    endpoint = /^https?:\/\//.test(kplEndpoint) ? kplEndpoint : `https://${kplEndpoint}${kplPort === undefined ? "" : `:${kplPort}`}`;
  } else if (kplPort !== undefined) {
    ignored.push("KinesisPort");
  }

  // Without keep-alive every GetRecords poll would open a new connection.
  const agentOptions = { keepAlive: true, ...(maxSockets === undefined ? {} : { maxSockets }) };
  const config: KinesisClientConfig = {
    // The SDK's default HTTP/2 handler fails against kinesalite and brings nothing for polling.
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      ...(connectionTimeout === undefined ? {} : { connectionTimeout }),
      ...(requestTimeout === undefined ? {} : { requestTimeout }),
    }),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...regionConfig(region),
    ...credentialsConfig(credentials),
    // A clientConfigProperties endpoint is more specific than the region's, as in Flink's consumer.
    ...(endpoint === undefined ? {} : { endpoint }),
  };
  return {
    config,
    ignored,
    ...(maxRecordsPerGet === undefined ? {} : { maxRecordsPerGet }),
    ...(getRecordsIntervalMs === undefined ? {} : { getRecordsIntervalMs }),
    ...(shardDiscoveryIntervalMs === undefined ? {} : { shardDiscoveryIntervalMs }),
  };
}

function regionConfig(region: AwsRegion): Partial<KinesisClientConfig> {
  switch (region.type) {
    case "default":
      // The SDK's chain: AWS_REGION, then the shared config file.
      return {};
    case "specific":
      return { region: region.id };
    case "custom-endpoint":
      return { region: region.id, endpoint: region.endpoint };
  }
}

function credentialsConfig(credentials: AwsCredentials): Partial<KinesisClientConfig> {
  switch (credentials.type) {
    case "default":
      return {};
    case "basic":
      return { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey } };
    case "profile": {
      const { profileName, profilePath } = credentials;
      // Without a path the SDK's own chain handles the profile fully (SSO, roles, processes).
      if (profilePath === undefined) return { profile: profileName };
      return { profile: profileName, credentials: () => readProfileKeys(profilePath, profileName) };
    }
  }
}

/**
 * Reads static keys of one profile from a credentials file at a given path:
 * the SDK only reads such files from fixed locations or process-wide
 * environment variables, which would affect every other client.
 */
export async function readProfileKeys(
  path: string,
  profile: string,
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> {
  const file = path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new EddyError("EDDY_CONFIG_INVALID", `awsCredentials.profilePath ${path}: cannot read it (${(cause as Error).message})`, {
      cause,
      retryable: true,
    });
  }
  const keys = new Map<string, string>();
  let section: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header !== null) {
      section = header[1];
      continue;
    }
    if (section !== profile) continue;
    const eq = line.indexOf("=");
    if (eq > 0) keys.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  const accessKeyId = keys.get("aws_access_key_id");
  const secretAccessKey = keys.get("aws_secret_access_key");
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new EddyError(
      "EDDY_CONFIG_INVALID",
      `awsCredentials: profile "${profile}" in ${path} has no aws_access_key_id/aws_secret_access_key (with profilePath only static keys are supported; omit profilePath to use the SDK's full profile support)`,
    );
  }
  const sessionToken = keys.get("aws_session_token");
  return { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
}

export function createKinesisClient(settings: KinesisClientSettings): KinesisApi {
  // The SDK warns on Node 20 that its releases after January 2027 will need Node 22. Eddy pins
  // a release that supports Node 20 (see the README's Node versions), so the warning does not
  // apply; a user who set the variable either way keeps their choice.
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
  return new KinesisClient(settings.config);
}

/** The AWS error name (e.g. ResourceNotFoundException), or the Node error code, for logs and retry decisions. */
export function awsErrorName(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const e = error as { name?: unknown; code?: unknown };
    if (typeof e.code === "string" && (e.name === "Error" || e.name === undefined)) return e.code;
    if (typeof e.name === "string") return e.name;
  }
  return "Error";
}
