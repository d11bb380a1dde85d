import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { isEddyError } from "@eddy/sdk";
import type { ColocatedFunctionsSpec } from "../../src/config/index.js";
import { ColocatedProcess } from "../../src/colocated/colocated-process.js";
import { capturingLogger } from "../support/capturing-logger.js";
import { isAlive, waitFor, writeScript } from "./helpers.js";

/** A plain HTTP server on EDDY_LISTEN (socket path or host:port), answering 200 to anything. */
const LISTENING_CHILD = `
import { createServer } from "node:http";
const listen = process.env.EDDY_LISTEN;
const server = createServer((req, res) => res.end("ok"));
const tcp = /^(.+):(\\d+)$/.exec(listen);
if (tcp && !listen.includes("/")) server.listen(Number(tcp[2]), tcp[1]); else server.listen(listen);
console.log("listening on " + listen);
`;

function spec(command: string[], cwd: string, overrides: Partial<ColocatedFunctionsSpec> = {}): ColocatedFunctionsSpec {
  return {
    functions: { kind: "namespace", text: "test/*", namespace: "test" },
    command,
    env: {},
    cwd,
    transport: "unix",
    urlPathTemplate: "/",
    readiness: { timeout: 5000 },
    restart: { minBackoff: 100, maxBackoff: 30_000 },
    maxNumBatchRequests: 1000,
    call: 120_000,
    ...overrides,
  };
}

function startedPids(lines: Record<string, unknown>[]): number[] {
  return lines.filter((l) => l["msg"] === "co-located process started").map((l) => l["pid"] as number);
}

describe("ColocatedProcess", () => {
  for (const transport of ["unix", "tcp"] as const) {
    it(`starts the command with EDDY_LISTEN for ${transport}, forwards its output, and stop() leaves no process behind`, async () => {
      const { dir, file } = writeScript(LISTENING_CHILD);
      const { logger, entries: lines } = capturingLogger();
      const supervisor = new ColocatedProcess({ spec: spec([process.execPath, file], dir, { transport }), logger, where: "m.yaml:1:1" });
      try {
        await supervisor.start();
        const pid = supervisor.pid!;
        assert.ok(isAlive(pid));
        const address = supervisor.address!;
        if (address.transport === "unix") {
          assert.match(address.socketPath, /\/eddy-colocated-[0-9a-f]+\/fn\.sock$/);
          assert.equal(supervisor.url("/statefun"), `http+unix://${address.socketPath}/statefun`);
        } else {
          assert.equal(supervisor.url("/statefun"), `http://127.0.0.1:${address.port}/statefun`);
        }
        await waitFor("the child's output in the log", () => lines.some((l) => typeof l["msg"] === "string" && l["msg"].startsWith("listening on")));
        const output = lines.find((l) => typeof l["msg"] === "string" && l["msg"].startsWith("listening on"))!;
        assert.equal(output["pid"], pid);
        assert.equal(output["function"], "test/*");
        assert.equal(output["stream"], "stdout");

        await supervisor.stop();
        assert.equal(isAlive(pid), false, "the child is gone after stop()");
        if (address.transport === "unix") assert.equal(existsSync(address.dir), false, "the socket directory is removed");
      } finally {
        await supervisor.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("refuses to start when the command never becomes ready, naming the module location and the command, and kills it", async () => {
    const { dir, file } = writeScript(`console.log("warming up forever"); setInterval(() => {}, 1000);`);
    const { logger, entries: lines } = capturingLogger();
    const supervisor = new ColocatedProcess({
      spec: spec([process.execPath, file], dir, { readiness: { timeout: 1500 } }),
      logger,
      where: "examples/x/module.yaml:5:1",
    });
    const started = performance.now();
    await assert.rejects(supervisor.start(), (error: unknown) => {
      assert.ok(isEddyError(error, "EDDY_CONFIG_INVALID"));
      assert.match(error.message, /^examples\/x\/module\.yaml:5:1 io\.eddy\.functions\.v1\/colocated:/);
      assert.ok(error.message.includes(`command: ${process.execPath} ${file}`), error.message);
      assert.match(error.message, /did not accept connections on unix:.*fn\.sock within 1500 ms \(readiness\.timeout\)/);
      assert.match(error.message, /warming up forever/);
      return true;
    });
    assert.ok(performance.now() - started < 5000);
    const [pid] = startedPids(lines);
    assert.ok(pid !== undefined);
    assert.equal(isAlive(pid), false, "the child that never became ready is killed");
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails fast with the exit code and the last output when the command exits before it is ready", async () => {
    const { dir, file } = writeScript(`console.error("cannot load functions: boom"); process.exit(3);`);
    const supervisor = new ColocatedProcess({ spec: spec([process.execPath, file], dir), logger: capturingLogger().logger, where: "m.yaml:2:1" });
    await assert.rejects(supervisor.start(), /exited \(exit code 3\) before it accepted connections[\s\S]*cannot load functions: boom/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails with a clear error when the program does not exist", async () => {
    const supervisor = new ColocatedProcess({
      spec: spec(["/nonexistent/eddy-functions"], process.cwd()),
      logger: capturingLogger().logger,
      where: "m.yaml:3:1",
    });
    await assert.rejects(supervisor.start(), /m\.yaml:3:1 .*command: \/nonexistent\/eddy-functions.*could not be started[\s\S]*ENOENT/);
  });

  it("restarts a crashed process with exponential backoff capped at maxBackoff, logging code and next attempt", async () => {
    // Becomes ready, then crashes 150 ms later, every time.
    const { dir, file } = writeScript(`${LISTENING_CHILD}\nsetTimeout(() => process.exit(7), 150);`);
    const { logger, entries: lines } = capturingLogger();
    const supervisor = new ColocatedProcess({
      spec: spec([process.execPath, file], dir, { restart: { minBackoff: 20, maxBackoff: 80 } }),
      logger,
      stableAfterMs: 60_000,
    });
    try {
      await supervisor.start();
      const crashes = () => lines.filter((l) => typeof l["msg"] === "string" && l["msg"].startsWith("co-located process exited unexpectedly"));
      await waitFor("five crashes", () => crashes().length >= 5, 15_000);
      const seen = crashes().slice(0, 5);
      assert.deepEqual(seen.map((l) => l["restartInMs"]), [20, 40, 80, 80, 80]);
      assert.deepEqual(seen.map((l) => l["code"]), [7, 7, 7, 7, 7]);
      assert.ok(seen.every((l) => l["level"] === 50 && /exit code 7/.test(String(l["msg"]))));
      assert.ok(supervisor.restarts >= 4);
      const pids = startedPids(lines);
      assert.equal(new Set(pids).size, pids.length, "each restart is a new process");
    } finally {
      await supervisor.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    for (const pid of startedPids(lines)) assert.equal(isAlive(pid), false);
  });

  it("starts the backoff over once the process has stayed up long enough", async () => {
    const { dir, file } = writeScript(`${LISTENING_CHILD}\nsetTimeout(() => process.exit(1), 150);`);
    const { logger, entries: lines } = capturingLogger();
    const supervisor = new ColocatedProcess({
      spec: spec([process.execPath, file], dir, { restart: { minBackoff: 20, maxBackoff: 1000 } }),
      logger,
      stableAfterMs: 100,
    });
    try {
      await supervisor.start();
      const crashes = () => lines.filter((l) => l["restartInMs"] !== undefined);
      await waitFor("three crashes", () => crashes().length >= 3, 15_000);
      assert.deepEqual(crashes().slice(0, 3).map((l) => l["restartInMs"]), [20, 20, 20]);
    } finally {
      await supervisor.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sends SIGKILL to a process that ignores SIGTERM after the grace period", async () => {
    const { dir, file } = writeScript(`process.on("SIGTERM", () => console.log("ignoring SIGTERM"));\n${LISTENING_CHILD}`);
    const { logger, entries: lines } = capturingLogger();
    const supervisor = new ColocatedProcess({ spec: spec([process.execPath, file], dir), logger, stopGraceMs: 300 });
    await supervisor.start();
    const pid = supervisor.pid!;
    await supervisor.stop();
    assert.equal(isAlive(pid), false);
    assert.ok(lines.some((l) => String(l["msg"]).includes("ignored SIGTERM; sending SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  });
});
