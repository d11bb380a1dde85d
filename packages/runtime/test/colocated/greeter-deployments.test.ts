import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { buildRuntime } from "../../src/app/build-runtime.js";
import { bindColocatedFunctions } from "../../src/colocated/bind-colocated.js";
import { PlaygroundEgress } from "../../src/io/playground/playground-egress.js";
import { PlaygroundIngress } from "../../src/io/playground/playground-ingress.js";
import { EndpointPools } from "../../src/remote/endpoint-pools.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { greetText } from "../../../../examples/greeter/greeter.js";

import { freePort, greet, isAlive, loadExample, repo, SOURCE_CONDITIONS, takeGreetings, waitFor } from "./helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

function startedPids(lines: Record<string, unknown>[]): number[] {
  return lines.filter((l) => l["msg"] === "co-located process started").map((l) => l["pid"] as number);
}

describe("examples/colocated-greeter: the greeter in a co-located process", () => {
  for (const transport of ["unix", "tcp"] as const) {
    it(`greets through the playground ingress and egress over ${transport}, and stops the process with the runtime`, async () => {
      const { config, ports } = await loadExample("colocated-greeter", { colocated: { transport } });
      const { logger, entries: lines } = capturingLogger();
      const runtime = await buildRuntime(config, { logger });
      try {
        await runtime.start();
        // One at a time: different keys may be invoked in any order.
        const seen: string[] = [];
        for (const who of ["Ann", "Ann", "Bob", "Ann"]) {
          assert.equal((await greet(ports, who)).status, 200);
          seen.push(...(await takeGreetings(ports, 1)));
        }
        assert.deepEqual(seen, [greetText("Ann", 0), greetText("Ann", 1), greetText("Bob", 0), greetText("Ann", 2)]);
        const started = lines.find((l) => l["msg"] === "co-located process started")!;
        assert.match(String(started["listen"]), transport === "unix" ? /^unix:\/.*\/fn\.sock$/ : /^tcp:127\.0\.0\.1:\d+$/);
      } finally {
        await runtime.stop();
      }
      const pids = startedPids(lines);
      assert.equal(pids.length, 1);
      assert.equal(isAlive(pids[0]!), false, "runtime.stop() leaves no co-located process behind");
    });
  }

  it("restarts the process after SIGKILL mid-run; every message is delivered exactly once, in order per key", async () => {
    const { config } = await loadExample("colocated-greeter");
    const component = config.components.find((c) => c.kind === "io.eddy.functions.v1/colocated");
    assert.ok(component?.kind === "io.eddy.functions.v1/colocated");
    const { logger, entries: lines } = capturingLogger();
    const runtime = new Runtime({ logger });
    const pools = new EndpointPools();
    const supervisor = bindColocatedFunctions(runtime, component.spec, { logger, pools, where: "test" });
    runtime.onStop(() => pools.close());
    const ingress = new PlaygroundIngress({ port: 0 });
    const egress = new PlaygroundEgress({ port: 0, topics: ["greetings"] });
    runtime.bindIngress(ingress);
    runtime.bindEgress(egress);
    await runtime.start();
    const ports = { ingress: ingress.port, egress: egress.port };
    const keys = ["k0", "k1", "k2", "k3", "k4"];
    const perKey = 12;
    try {
      const firstPid = supervisor.pid!;
      // Each key sends sequentially (so its order is defined); keys run concurrently.
      await Promise.all(
        keys.map(async (key, k) => {
          for (let i = 0; i < perKey; i++) {
            if (k === 0 && i === 4) process.kill(firstPid, "SIGKILL");
            assert.equal((await greet(ports, key)).status, 200);
          }
        }),
      );
      const greetings = await takeGreetings(ports, keys.length * perKey, 30_000);
      for (const key of keys) {
        const expected = Array.from({ length: perKey }, (_, i) => greetText(key, i));
        const own = new Set(expected);
        assert.deepEqual(greetings.filter((g) => own.has(g)), expected, `greetings of ${key}`);
      }
      assert.equal(greetings.length, keys.length * perKey);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await fetch(`http://127.0.0.1:${ports.egress}/greetings`)).status, 404, "no duplicate greeting");

      assert.equal(isAlive(firstPid), false);
      assert.equal(supervisor.restarts, 1);
      const crash = lines.find((l) => l["restartInMs"] !== undefined)!;
      assert.equal(crash["signal"], "SIGKILL");
      assert.equal(crash["pid"], firstPid);
      await waitFor("the restarted process to be ready", () => lines.some((l) => l["msg"] === "co-located process ready again"));
    } finally {
      await runtime.stop();
    }
    for (const pid of startedPids(lines)) assert.equal(isAlive(pid), false);
  });

  it("refuses to start the runtime when the co-located command never becomes ready", async () => {
    const { config } = await loadExample("colocated-greeter", {
      colocated: { command: [process.execPath, "-e", "setInterval(() => {}, 1000)"], readiness: { timeout: 500 } },
    });
    const { logger, entries: lines } = capturingLogger();
    const runtime = await buildRuntime(config, { logger });
    try {
      await assert.rejects(runtime.start(), (error: Error) => {
        assert.match(error.message, /examples\/colocated-greeter\/module\.yaml:5:1 io\.eddy\.functions\.v1\/colocated:/);
        assert.ok(error.message.includes(`-e setInterval(() => {}, 1000)`), error.message);
        assert.match(error.message, /within 500 ms/);
        return true;
      });
    } finally {
      await runtime.stop();
    }
    for (const pid of startedPids(lines)) assert.equal(isAlive(pid), false);
  });
});

describe("examples/remote-greeter: the same greeter as a remote function", () => {
  it("serves the greeter from functions.ts over HTTP with the example's module.yaml", async () => {
    const port = await freePort();
    const functions = spawn(process.execPath, ["--import", "tsx", join(repo, "examples/remote-greeter/functions.ts")], {
      cwd: repo,
      env: { ...process.env, ...SOURCE_CONDITIONS, PORT: String(port) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    functions.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => functions.on("exit", resolve));
    try {
      await waitFor("the remote functions to listen", () => out.includes("greeter functions on"), 15_000);
      const { config, ports } = await loadExample("remote-greeter", { endpointUrl: `http://127.0.0.1:${port}/statefun` });
      const runtime = await buildRuntime(config, { logger: capturingLogger().logger });
      await runtime.start();
      try {
        for (const who of ["Cy", "Cy", "Cy"]) assert.equal((await greet(ports, who)).status, 200);
        assert.deepEqual(await takeGreetings(ports, 3), [0, 1, 2].map((i) => greetText("Cy", i)));
      } finally {
        await runtime.stop();
      }
    } finally {
      functions.kill("SIGTERM");
      await exited;
    }
  });
});
