import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEddy } from "../support/eddy-process.js";
import { freePort, playgroundModuleYaml } from "../support/local-servers.js";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import { parsePrometheusText } from "../support/prometheus-text.js";

const repo = new URL("../../../../", import.meta.url).pathname;
const greeterModule = join(repo, "examples/greeter/greeter.ts");
const TRACE = "0af7651916cd43dd8448eb211c80319c";
const PARENT = "b7ad6b7169203331";

describe("eddy run with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("exports the request's trace to the collector and counts it on /metrics", async () => {
    const receiver = await startOtlpReceiver();
    const dir = mkdtempSync(join(tmpdir(), "eddy-obs-cli-"));
    const [ingressPort, egressPort] = [await freePort(), await freePort()];
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(moduleFile, playgroundModuleYaml({ functions: "apache/*", module: greeterModule, ingressPort, egressPort, topics: ["greetings"] }));
    const eddy = await startEddy(["run", moduleFile, "--in-memory"], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: "greeter-test" },
    });
    const stdout = eddy.stdout();
    const adminUrl = /admin API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    try {
      assert.ok(adminUrl !== undefined, stdout);
      assert.ok(stdout.includes(`"otlpEndpoint":"${receiver.endpoint}/v1/traces","msg":"tracing: exporting spans over OTLP/HTTP"`), stdout);
      assert.match(stdout, new RegExp(`web console: ${adminUrl}/ui`));
      const put = await fetch(`http://127.0.0.1:${ingressPort}/apache/greeter/Ann`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.apache/GreetRequest", traceparent: `00-${TRACE}-${PARENT}-01` },
        body: '{"who":"Ann"}',
      });
      assert.equal(put.status, 200);
      // The egress GET waits for the greeting, so the invocation has committed once it answers 200.
      let greeting = await fetch(`http://127.0.0.1:${egressPort}/greetings`);
      while (greeting.status === 404) {
        await receiver.until((spans) => spans.some((s) => s.name.startsWith("eddy egress")), "the egress span");
        greeting = await fetch(`http://127.0.0.1:${egressPort}/greetings`);
      }
      assert.equal(await greeting.text(), "Hello Ann ! 😎");
      const metrics = parsePrometheusText(await (await fetch(`${adminUrl}/metrics`)).text());
      assert.equal(metrics.value("eddy_messages_total", { function_type: "apache/greeter", direction: "in" }), 1);
      assert.equal(metrics.value("eddy_messages_total", { function_type: "apache/greeter", direction: "egress" }), 1);
      assert.equal(metrics.value("eddy_ingress_messages_total", { ingress: "io.statefun.playground/ingress" }), 1);
    } finally {
      eddy.kill("SIGTERM");
    }
    assert.equal(await eddy.exited, 0, eddy.stderr());
    try {
      await receiver.until((spans) => spans.some((s) => s.name === "eddy invoke apache/greeter"), "the invocation span");
      const accept = receiver.spans.find((s) => s.name === "eddy ingress accept");
      const invoke = receiver.spans.find((s) => s.name === "eddy invoke apache/greeter");
      assert.equal(accept?.traceId, TRACE);
      assert.equal(accept?.parentSpanId, PARENT);
      assert.equal(invoke?.parentSpanId, accept?.spanId);
      assert.equal(invoke?.serviceName, "greeter-test");
    } finally {
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
