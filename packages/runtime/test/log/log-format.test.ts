import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EddyError, isEddyError } from "@eddy/sdk";
import { createLogger } from "@eddy/runtime";
import { spawnEddy, startEddy } from "../support/eddy-process.js";
import { freePort, playgroundModuleYaml } from "../support/local-servers.js";

const repo = new URL("../../../../", import.meta.url).pathname;
const PRETTY_LINE = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /u;
const ANSI = new RegExp(String.fromCharCode(27) + "\\[", "u");

function prettyLogger(isTTY = false) {
  let text = "";
  const sink = { isTTY, write: (t: string) => (text += t) };
  return { logger: createLogger({ format: "pretty", level: "debug", destination: sink }), text: () => text };
}

describe("log formats", () => {
  it("pretty: time, level and message, then the fields as key=value, no colours off a terminal", () => {
    const { logger, text } = prettyLogger();
    logger.info({ address: "shop/cart/a b", attempt: 2, ok: true, ids: ["x"] }, "shop/cart/a b recovered");
    logger.debug("plain");
    const lines = text().split("\n");
    assert.match(lines[0]!, PRETTY_LINE);
    assert.equal(lines[0]!.slice(13), 'INFO  shop/cart/a b recovered  address="shop/cart/a b" attempt=2 ok=true ids=["x"]');
    assert.equal(lines[1]!.slice(13), "DEBUG plain");
    assert.doesNotMatch(text(), ANSI);
  });

  it("pretty: an unexpected error shows its stack, indented; an error with a code shows its message only", () => {
    const { logger, text } = prettyLogger();
    logger.error({ err: new TypeError("x is not a function") }, "admin request failed");
    logger.error({ err: new EddyError("EDDY_STORE_FAILED", "the disk is full") }, "could not commit");
    const lines = text().split("\n");
    assert.equal(lines[0]!.slice(13), "ERROR admin request failed");
    assert.equal(lines[1], "    TypeError: x is not a function");
    assert.match(lines[2]!, /^ {4}\s*at /u);
    const coded = lines.findIndex((l) => l.endsWith("could not commit"));
    assert.equal(lines[coded + 1], "    the disk is full");
    assert.equal(lines[coded + 2], "", "no stack for an error with a code");
  });

  it("pretty: a long field the message already contains is not repeated", () => {
    const { logger, text } = prettyLogger();
    const error = "remote call to http://127.0.0.1:1/statefun failed after 3 attempts";
    logger.warn({ event: "failing", error }, `a/b/c is failing: ${error}; retrying`);
    assert.equal(text().slice(13), `WARN  a/b/c is failing: ${error}; retrying  event=failing\n`);
  });

  it("pretty: coloured on a terminal unless NO_COLOR is set", () => {
    const coloured = prettyLogger(true);
    coloured.logger.warn("careful");
    assert.equal(ANSI.test(coloured.text()), process.env["NO_COLOR"] === undefined);
  });

  it("refuses an unknown EDDY_LOG_LEVEL, naming the variable and the levels", () => {
    const before = process.env["EDDY_LOG_LEVEL"];
    process.env["EDDY_LOG_LEVEL"] = "verbose";
    try {
      assert.throws(
        () => createLogger(),
        (e: unknown) =>
          isEddyError(e, "EDDY_CONFIG_INVALID") && e.message === 'EDDY_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"',
      );
    } finally {
      if (before === undefined) delete process.env["EDDY_LOG_LEVEL"];
      else process.env["EDDY_LOG_LEVEL"] = before;
    }
  });
});

describe("eddy run --log-format", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "eddy-log-format-"));
  const moduleFile = join(dir, "module.yaml");
  const module = async () =>
    writeFileSync(
      moduleFile,
      playgroundModuleYaml({ functions: "apache/*", module: join(repo, "examples/greeter/greeter.ts"), ingressPort: await freePort(), egressPort: await freePort(), topics: ["greetings"] }),
    );

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("logs JSON when stdout is not a terminal, pretty text with --log-format pretty", async () => {
    await module();
    const json = await startEddy(["run", moduleFile, "--in-memory"]);
    json.kill("SIGTERM");
    assert.equal(await json.exited, 0, json.output());
    const running = json.stdout().split("\n").find((l) => l.includes("eddy is running"))!;
    assert.equal((JSON.parse(running) as { msg: string }).msg, "eddy is running; press Ctrl+C to stop");

    await module();
    const pretty = await startEddy(["run", moduleFile, "--in-memory", "--log-format", "pretty"]);
    pretty.kill("SIGTERM");
    assert.equal(await pretty.exited, 0, pretty.output());
    const lines = pretty.stdout().split("\n").filter((l) => l !== "");
    for (const line of lines) assert.match(line, PRETTY_LINE);
    assert.ok(lines.some((l) => l.slice(13).startsWith("INFO  eddy is running; press Ctrl+C to stop  module=")), pretty.stdout());
  });

  it("logs pretty text by default on a terminal", async () => {
    await module();
    // `script` runs eddy with a pseudo-terminal as stdout and copies what it prints to its own stdout.
    const command = [process.execPath, "--conditions=eddy-source", "--import", "tsx", join(repo, "packages/runtime/src/cli/main.ts"), "run", moduleFile, "--in-memory", "--admin-port", "0"];
    const child = spawn("script", ["-qec", `exec ${command.map((a) => `'${a}'`).join(" ")}`, "/dev/null"], {
      cwd: repo,
      env: { ...process.env, EDDY_LOG_LEVEL: "info", NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    const exited = new Promise((resolve) => child.once("close", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("eddy is running")) resolve();
      });
      void exited.then(() => reject(new Error(`script exited before eddy ran: ${out}`)));
    });
    child.kill("SIGTERM"); // the terminal goes away: eddy gets SIGHUP
    await exited;
    const line = out.split(/\r?\n/u).find((l) => l.includes("eddy is running"))!;
    assert.match(line, PRETTY_LINE);
    assert.doesNotMatch(line, ANSI, "NO_COLOR is honoured");
  });

  it("refuses an unknown format, and an unknown EDDY_LOG_LEVEL, in one line", async () => {
    await module();
    const format = spawnEddy(["run", moduleFile, "--in-memory", "--log-format", "xml"]);
    assert.equal(await format.exited, 1);
    assert.match(format.stderr(), /option '--log-format <format>' argument 'xml' is invalid\. Allowed choices are json, pretty\./u);
    const level = spawnEddy(["run", moduleFile, "--in-memory"], { env: { EDDY_LOG_LEVEL: "verbose" } });
    assert.equal(await level.exited, 1);
    assert.equal(level.stderr(), 'eddy: EDDY_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"\n');
  });
});
