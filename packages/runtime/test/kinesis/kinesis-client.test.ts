import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isEddyError } from "@eddy/sdk";
import { kinesisClientSettings, readProfileKeys } from "../../src/io/kinesis/kinesis-client.js";

describe("Kinesis client settings from awsRegion, awsCredentials and clientConfigProperties", () => {
  const dir = mkdtempSync(join(tmpdir(), "eddy-kinesis-profile-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("default region and credentials leave both to the SDK's provider chains", () => {
    const { config, ignored } = kinesisClientSettings({ type: "default" }, { type: "default" }, {});
    assert.equal(config.region, undefined);
    assert.equal(config.credentials, undefined);
    assert.equal(config.endpoint, undefined);
    assert.ok(config.requestHandler !== undefined, "an HTTP/1.1 handler is always set");
    assert.deepEqual(ignored, []);
  });

  test("specific and custom-endpoint regions, basic and profile credentials", () => {
    const specific = kinesisClientSettings({ type: "specific", id: "eu-west-1" }, { type: "profile", profileName: "dev" }, {});
    assert.equal(specific.config.region, "eu-west-1");
    assert.equal(specific.config.profile, "dev");
    const custom = kinesisClientSettings(
      { type: "custom-endpoint", endpoint: "http://127.0.0.1:4567", id: "us-east-1" },
      { type: "basic", accessKeyId: "AK", secretAccessKey: "SK" },
      {},
    );
    assert.equal(custom.config.region, "us-east-1");
    assert.equal(custom.config.endpoint, "http://127.0.0.1:4567");
    assert.deepEqual(custom.config.credentials, { accessKeyId: "AK", secretAccessKey: "SK" });
  });

  test("maps the clientConfigProperties it understands and reports the others as ignored", () => {
    const settings = kinesisClientSettings({ type: "specific", id: "us-east-1" }, { type: "default" }, {
      SocketTimeout: "9999",
      MaxConnections: "15",
      "aws.clientconfig.MaxErrorRetry": "2",
      "aws.endpoint": "http://localhost:9000",
      "flink.shard.getrecords.maxrecordcount": "250",
      "flink.shard.getrecords.intervalmillis": "50",
      "flink.shard.discovery.intervalmillis": "5000",
      ThreadingModel: "POOLED",
    });
    assert.equal(settings.config.maxAttempts, 3);
    assert.equal(settings.config.endpoint, "http://localhost:9000");
    assert.equal(settings.maxRecordsPerGet, 250);
    assert.equal(settings.getRecordsIntervalMs, 50);
    assert.equal(settings.shardDiscoveryIntervalMs, 5000);
    assert.deepEqual(settings.ignored, ["ThreadingModel"]);
    const kpl = kinesisClientSettings({ type: "specific", id: "us-east-1" }, { type: "default" }, { KinesisEndpoint: "kinesis.local", KinesisPort: "4443" });
    assert.equal(kpl.config.endpoint, "https://kinesis.local:4443");
  });

  test("a property value that cannot be used is a config error", () => {
    assert.throws(
      () => kinesisClientSettings({ type: "default" }, { type: "default" }, { MaxConnections: "many" }),
      (error: unknown) => isEddyError(error, "EDDY_CONFIG_INVALID") && /MaxConnections/.test(error.message),
    );
  });

  test("profile credentials with a profilePath read that profile's static keys from the file", async () => {
    const file = join(dir, "credentials");
    writeFileSync(
      file,
      ["[default]", "aws_access_key_id = D", "aws_secret_access_key = DS", "", "[dev]", "aws_access_key_id=AK", "aws_secret_access_key=SK", "aws_session_token = T"].join("\n"),
    );
    assert.deepEqual(await readProfileKeys(file, "dev"), { accessKeyId: "AK", secretAccessKey: "SK", sessionToken: "T" });
    const { config } = kinesisClientSettings({ type: "default" }, { type: "profile", profileName: "default", profilePath: file }, {});
    assert.equal(typeof config.credentials, "function");
    await assert.rejects(() => readProfileKeys(file, "nope"), /profile "nope"/);
  });
});
