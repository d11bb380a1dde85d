// https endpoints with a private CA, using a certificate made by openssl at
// test time (openssl must be installed).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, defineFunction, nodeHttpHandler, typedValue } from "@eddy/sdk";
import { silentLogger } from "../../src/log/logger.js";
import { EndpointPools } from "../../src/remote/endpoint-pools.js";
import { remoteInvoker } from "../../src/remote/remote-invoker.js";

function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const fn = defineFunction({ typename: "com.example/tls", fn() {} });
const batch = {
  target: address("com.example/tls", "1"),
  states: [],
  invocations: [{ caller: undefined, argument: typedValue("com.example/m", new Uint8Array(0)) }],
};

describe("remote invoker over https", () => {
  before(() => assert.ok(haveOpenssl(), "these tests make their certificates with openssl; install it (apt-get install openssl)"));
  let dir = "";
  let server: Server | undefined;
  let url = "";
  const pools = new EndpointPools();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "eddy-tls-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      { stdio: "ignore" },
    );
    server = createServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, nodeHttpHandler([fn]));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/statefun`;
  });
  after(async () => {
    await pools.destroy();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    rmSync(dir, { recursive: true, force: true });
  });

  it("trusts the server through the configured CA file", async () => {
    const invoker = remoteInvoker({
      functionType: "com.example/tls",
      url,
      transport: { type: "async", callMs: 2_000, tls: { ca: join(dir, "cert.pem") } },
      pools,
      logger: silentLogger(),
    });
    assert.equal((await invoker.invoke(batch)).kind, "completed");
  });

  it("fails (and names the TLS problem) without the CA", async () => {
    const invoker = remoteInvoker({
      functionType: "com.example/tls",
      url,
      transport: { type: "async", callMs: 1_000 },
      pools,
      logger: silentLogger(),
    });
    await assert.rejects(Promise.resolve(invoker.invoke(batch)), /self[- ]signed|certificate/i);
  });

  it("fails at creation when a TLS file cannot be read", () => {
    assert.throws(
      () =>
        remoteInvoker({
          functionType: "com.example/tls",
          url,
          transport: { type: "async", tls: { ca: join(dir, "missing.pem") } },
          pools,
          logger: silentLogger(),
        }),
      (error: Error & { code?: string }) => error.code === "EDDY_CONFIG_INVALID" && error.message.includes("missing.pem"),
    );
  });
});
