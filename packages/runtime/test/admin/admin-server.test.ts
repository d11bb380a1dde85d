import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { AdminHttpError, AdminServer, createRuntimeAdmin, Runtime, silentLogger } from "@eddy/runtime";
import type { Ingress } from "@eddy/runtime";
import { EddyError } from "@eddy/sdk";
import { deferred } from "../runtime/helpers.js";

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, init);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Sends a request with a raw path (fetch would normalise a malformed one). */
function rawGet(port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("admin server", () => {
  it("answers liveness at once and readiness only after recovery and every ingress listens, then 503 while draining", async () => {
    const runtime = new Runtime({ logger: silentLogger() });
    const ingressStarted = deferred();
    const ingressMayStart = deferred();
    const slowIngress: Ingress = {
      id: "test/slow",
      start: async () => {
        ingressStarted.resolve();
        await ingressMayStart.promise;
      },
      stop: () => Promise.resolve(),
      describe: () => "an ingress that starts when the test says so",
    };
    runtime.bindIngress(slowIngress);
    const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
    await admin.start();
    try {
      const before = await getJson(`${admin.url}/readyz`);
      assert.equal(before.status, 503);
      assert.deepEqual(before.body, { error: { code: "EDDY_NOT_READY", message: "not ready: not started" } });
      assert.equal((await getJson(`${admin.url}/healthz`)).status, 200);

      const starting = runtime.start();
      await ingressStarted.promise;
      const whileStarting = await getJson(`${admin.url}/readyz`);
      assert.equal(whileStarting.status, 503);
      assert.match((whileStarting.body as { error: { message: string } }).error.message, /starting ingress test\/slow/);

      ingressMayStart.resolve();
      await starting;
      const ready = await getJson(`${admin.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { ready: true, status: "ready" });

      await runtime.stop();
      const stopped = await getJson(`${admin.url}/readyz`);
      assert.equal(stopped.status, 503);
      assert.equal((stopped.body as { error: { code: string } }).error.code, "EDDY_NOT_READY");
      assert.equal((await getJson(`${admin.url}/healthz`)).status, 200);
    } finally {
      await admin.stop();
      await runtime.stop();
    }
  });

  it("answers unknown paths 404, wrong methods 405 with Allow, and malformed percent-encoding 400, all as JSON errors", async () => {
    const admin = new AdminServer({ port: 0, logger: silentLogger() });
    admin.route({
      method: "GET",
      path: "/v1/things/{name}",
      doc: { summary: "a thing", responses: { "200": { description: "the thing" } } },
      handle: (req) => ({ json: { name: req.params["name"] } }),
    });
    await admin.start();
    try {
      const missing = await getJson(`${admin.url}/nope`);
      assert.equal(missing.status, 404);
      assert.equal((missing.body as { error: { code: string } }).error.code, "EDDY_ADMIN_NOT_FOUND");

      const wrongMethod = await getJson(`${admin.url}/v1/things/a`, { method: "DELETE" });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get("allow"), "GET");
      assert.equal((wrongMethod.body as { error: { code: string } }).error.code, "EDDY_ADMIN_METHOD_NOT_ALLOWED");

      const bad = await rawGet(admin.port, "/v1/things/%E0%A4%A");
      assert.equal(bad.status, 400);
      assert.match((bad.body as { error: { message: string } }).error.message, /"%E0%A4%A"/);

      assert.deepEqual((await getJson(`${admin.url}/v1/things/a%2Fb`)).body, { name: "a/b" });
    } finally {
      await admin.stop();
    }
  });

  it("answers a handler's retryable failure with 503 and Retry-After, a permanent one with 400", async () => {
    // A cluster worker's quarantine drop whose transaction a rebalance refused (a stale generation) is
    // worth repeating; it was answered 400, as if the request itself were wrong.
    const admin = new AdminServer({ port: 0, logger: silentLogger() });
    const failing = (path: string, error: EddyError): void =>
      admin.route({
        method: "POST",
        path,
        doc: { summary: "fails", responses: {} },
        handle: () => {
          throw error;
        },
      });
    failing("/transient", new EddyError("EDDY_CLUSTER_FAILED", "the transaction was refused: the group rebalanced", { retryable: true }));
    failing("/permanent", new EddyError("EDDY_CONFIG_INVALID", "not like this"));
    await admin.start();
    try {
      const transient = await getJson(`${admin.url}/transient`, { method: "POST" });
      assert.equal(transient.status, 503);
      assert.equal(transient.headers.get("retry-after"), "1");
      assert.deepEqual(transient.body, { error: { code: "EDDY_CLUSTER_FAILED", message: "the transaction was refused: the group rebalanced; it may succeed if repeated" } });
      const permanent = await getJson(`${admin.url}/permanent`, { method: "POST" });
      assert.equal(permanent.status, 400);
      assert.equal(permanent.headers.get("retry-after"), null);
    } finally {
      await admin.stop();
    }
  });

  it("serves routes registered after start, raw replies, handler errors as JSON, and lists visible routes in /openapi.json", async () => {
    const admin = new AdminServer({ port: 0, logger: silentLogger(), version: "9.9.9" });
    await admin.start();
    try {
      admin.route({
        method: "GET",
        path: "/text",
        doc: { summary: "plain text", responses: { "200": { description: "text" } } },
        handle: () => ({ contentType: "text/plain; version=0.0.4", body: "x 1\n" }),
      });
      admin.route({
        method: "POST",
        path: "/teapot",
        doc: { summary: "refuses", responses: { "418": { description: "no" } } },
        handle: () => {
          throw new AdminHttpError(418, "EDDY_ADMIN_BAD_REQUEST", "short and stout");
        },
      });
      admin.route({
        method: "GET",
        path: "/assets/{file*}",
        hidden: true,
        doc: { summary: "static", responses: {} },
        handle: (req) => ({ json: { file: req.params["file"] } }),
      });
      const text = await fetch(`${admin.url}/text`);
      assert.equal(text.headers.get("content-type"), "text/plain; version=0.0.4");
      assert.equal(await text.text(), "x 1\n");
      const teapot = await getJson(`${admin.url}/teapot`, { method: "POST" });
      assert.equal(teapot.status, 418);
      assert.deepEqual(teapot.body, { error: { code: "EDDY_ADMIN_BAD_REQUEST", message: "short and stout" } });
      assert.deepEqual((await getJson(`${admin.url}/assets/js/app.js`)).body, { file: "js/app.js" });

      const doc = (await getJson(`${admin.url}/openapi.json`)).body as {
        openapi: string;
        info: { version: string };
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, unknown> };
      };
      assert.equal(doc.openapi, "3.1.0");
      assert.equal(doc.info.version, "9.9.9");
      assert.deepEqual(Object.keys(doc.paths).sort(), ["/openapi.json", "/teapot", "/text"]);
      assert.ok(doc.paths["/teapot"]!["post"]);
      assert.ok(doc.components.schemas["Error"]);
    } finally {
      await admin.stop();
    }
  });

  it("names the port and what to do when the admin port is taken", async () => {
    const first = new AdminServer({ port: 0, logger: silentLogger() });
    await first.start();
    try {
      const second = new AdminServer({ port: first.port, logger: silentLogger() });
      await assert.rejects(second.start(), (error: Error & { code?: string }) => {
        assert.equal(error.code, "EDDY_CONFIG_INVALID");
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${first.port} \\(EADDRINUSE\\).*--admin-port`));
        return true;
      });
    } finally {
      await first.stop();
    }
  });
});
