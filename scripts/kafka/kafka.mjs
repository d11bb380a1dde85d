#!/usr/bin/env node
// A single-node Apache Kafka (KRaft, combined broker + controller) for tests,
// examples and benchmarks, run straight from the official jars on Maven Central.
// There is no Kafka tarball (and no docker) on the build machines, only Maven
// Central, so the jars come through `mvn dependency:copy-dependencies` of
// scripts/kafka/pom.xml and the broker is started with `java -cp … kafka.Kafka`.
//
// Usage: node scripts/kafka/kafka.mjs start|stop|restart|status
//   (npm run kafka:start / kafka:stop / kafka:status)
// Environment: EDDY_KAFKA_PORT (9092), EDDY_KAFKA_CONTROLLER_PORT (9093),
//   EDDY_KAFKA_HEAP (1g), EDDY_KAFKA_START_TIMEOUT_MS (90000),
//   EDDY_KAFKA_AUTO_CREATE (true: the broker's auto.create.topics.enable),
//   EDDY_KAFKA_STATE_DIR (.cache/kafka: where the pid and state files of this
//   broker live; a test that runs a second broker beside the shared one gives
//   it its own).
// A second client listener on EDDY_KAFKA_PORT + 2 advertises itself as
// 127.0.0.1:(EDDY_KAFKA_PORT + 3): a test runs a TCP proxy there and freezes it
// to cut one client off from the broker (the cluster's zombie test).
//
// Each start formats a fresh storage directory in the system temp directory;
// stop deletes it. Both commands are idempotent.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const here = new URL(".", import.meta.url).pathname;
const cacheDir = join(root, ".cache", "kafka");
const libsDir = join(cacheDir, "libs");
const brokerStateDir = process.env.EDDY_KAFKA_STATE_DIR ?? cacheDir;
const stateFile = join(brokerStateDir, "broker.json");
const pidFile = join(brokerStateDir, "kafka.pid");
const host = "127.0.0.1";
const port = Number(process.env.EDDY_KAFKA_PORT ?? 9092);
const controllerPort = Number(process.env.EDDY_KAFKA_CONTROLLER_PORT ?? 9093);
const proxiedPort = port + 2;
const proxyPort = port + 3;
const heap = process.env.EDDY_KAFKA_HEAP ?? "1g";
const autoCreate = (process.env.EDDY_KAFKA_AUTO_CREATE ?? "true") !== "false";
const startTimeoutMs = Number(process.env.EDDY_KAFKA_START_TIMEOUT_MS ?? 90_000);
const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(join(here, "pom.xml"), "utf8"))[1];

const say = (line) => process.stdout.write(`[kafka] ${line}\n`);
function fail(message) {
  process.stderr.write(`[kafka] ERROR: ${message}\n`);
  process.exit(1);
}
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** The pid in the pid file when that process is still our broker (a recycled pid is not). */
function runningPid() {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes("kafka.Kafka")) return undefined;
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return pid;
}

function canConnect(p) {
  return new Promise((resolve) => {
    const socket = connect({ host, port: p });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function readState() {
  try {
    return JSON.parse(readFileSync(stateFile, "utf8"));
  } catch {
    return undefined;
  }
}

function checkJava() {
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (java.error !== undefined || java.status !== 0) {
    fail("`java` was not found on PATH. Install a JDK/JRE >= 17 (e.g. apt-get install openjdk-17-jre-headless) and rerun.");
  }
  const match = /version "(\d+)/.exec(java.stderr);
  if (match !== null && Number(match[1]) < 11) fail(`Kafka ${kafkaVersion} needs Java >= 11; found: ${java.stderr.split("\n")[0]}`);
}

/** Fetches the broker jars once; later starts use the cache. */
function ensureJars() {
  const marker = join(libsDir, `.complete-${kafkaVersion}`);
  if (existsSync(marker)) return;
  const mvn = spawnSync("mvn", ["-v"], { encoding: "utf8" });
  if (mvn.error !== undefined || mvn.status !== 0) {
    fail("`mvn` was not found on PATH. It fetches the Kafka jars from Maven Central: install Maven 3 (apt-get install maven) and rerun.");
  }
  say(`fetching Apache Kafka ${kafkaVersion} (org.apache.kafka:kafka_2.13) and its dependencies from Maven Central …`);
  const started = performance.now();
  rmSync(libsDir, { recursive: true, force: true });
  const result = spawnSync(
    "mvn",
    [
      "-q",
      "-B",
      "-Dstyle.color=never",
      "-f",
      join(here, "pom.xml"),
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${libsDir}`,
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.status !== 0) {
    fail(
      `mvn dependency:copy-dependencies failed (exit ${result.status ?? result.signal}). ` +
        "Check that https://repo1.maven.org is reachable (proxy settings in ~/.m2/settings.xml) and rerun `npm run kafka:start`.",
    );
  }
  writeFileSync(marker, new Date().toISOString());
  say(`fetched ${readdirSync(libsDir).filter((f) => f.endsWith(".jar")).length} jars in ${seconds(started)} (cached in ${libsDir})`);
}

function classpath() {
  return readdirSync(libsDir)
    .filter((f) => f.endsWith(".jar"))
    .map((f) => join(libsDir, f))
    .join(":");
}

function brokerProperties(dataDir) {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort},PROXIED://${host}:${proxiedPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port},PROXIED://${host}:${proxyPort}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT",
    `log.dirs=${join(dataDir, "logs")}`,
    "num.partitions=1",
    `auto.create.topics.enable=${autoCreate}`,
    // One node: internal topics cannot be replicated, and fewer partitions start faster.
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=8",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=8",
    "min.insync.replicas=1",
    // Tests join consumer groups constantly; the default 3 s delay would dominate them.
    "group.initial.rebalance.delay.ms=0",
    // A crashed Eddy's transactional producer is fenced by its restart; this only bounds the rest.
    "transaction.max.timeout.ms=900000",
    "",
  ].join("\n");
}

/** A Kafka cluster id: 16 random bytes in URL-safe base64 without padding (what `random-uuid` prints). */
// Passed as --cluster-id=ID: a base64url id may start with "-", which the tool would read as a flag.
function clusterId() {
  return randomBytes(16).toString("base64url");
}

const log4j = [
  "log4j.rootLogger=INFO, stdout",
  "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
  "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
  "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
  "log4j.logger.kafka=INFO",
  "log4j.logger.org.apache.kafka=INFO",
  "log4j.logger.state.change.logger=WARN",
  "",
].join("\n");

async function start() {
  const total = performance.now();
  const pid = runningPid();
  if (pid !== undefined && readState()?.proxiedPort !== proxiedPort) {
    // Started by an older version of this script, without the proxied listener the tests need.
    say(`the running broker (pid ${pid}) has no listener on ${host}:${proxiedPort}; restarting it`);
    await stop();
    return start();
  }
  if (pid !== undefined) {
    if (await canConnect(port)) {
      say(`already running (pid ${pid}) at ${host}:${port}`);
      return;
    }
    fail(`a broker process (pid ${pid}) is running but ${host}:${port} does not accept connections; run \`npm run kafka:stop\` and start again`);
  }
  if (await canConnect(port)) {
    fail(`${host}:${port} is already in use by another program (not started by this script); stop it or set EDDY_KAFKA_PORT`);
  }
  checkJava();
  mkdirSync(cacheDir, { recursive: true });
  mkdirSync(brokerStateDir, { recursive: true });
  ensureJars();

  const dataDir = mkdtempSync(join(tmpdir(), "eddy-kafka-"));
  const config = join(dataDir, "server.properties");
  writeFileSync(config, brokerProperties(dataDir));
  writeFileSync(join(dataDir, "log4j.properties"), log4j);
  const cp = classpath();
  const jvm = jvmArgs(dataDir);

  say(`formatting KRaft storage in ${dataDir}`);
  const formatStarted = performance.now();
  const format = spawnSync(
    "java",
    ["-Xmx256m", ...jvm, "-cp", cp, "kafka.tools.StorageTool", "format", `--cluster-id=${clusterId()}`, "-c", config, "--ignore-formatted"],
    { encoding: "utf8" },
  );
  if (format.status !== 0) {
    fail(`formatting the storage failed:\n${format.stdout}${format.stderr}`);
  }
  say(`formatted in ${seconds(formatStarted)}`);

  await launch(dataDir, config, cp, jvm);
  say(`total ${seconds(total)}`);
}

/** The JVM flags that put a broker's log4j configuration and logs in its storage directory. */
function jvmArgs(dataDir) {
  return [`-Dlog4j.configuration=file:${join(dataDir, "log4j.properties")}`, `-Dkafka.logs.dir=${dataDir}`];
}

/** Starts the broker on a formatted storage directory and waits until it serves requests. */
async function launch(dataDir, config, cp, jvm) {
  const logFile = join(dataDir, "broker.log");
  // A restart appends to the log of the run before: only what this run writes says it has started.
  const logStart = existsSync(logFile) ? readFileSync(logFile, "utf8").length : 0;
  const out = openSync(logFile, "a");
  const child = spawn(
    "java",
    [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-Djava.awt.headless=true",
      ...jvm,
      "-cp",
      cp,
      "kafka.Kafka",
      config,
    ],
    { detached: true, stdio: ["ignore", out, out] },
  );
  closeSync(out);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  writeFileSync(stateFile, JSON.stringify({ pid: child.pid, dataDir, logFile, port, controllerPort, proxiedPort, proxyPort, kafkaVersion }, null, 2));
  say(`starting broker (pid ${child.pid}, log ${logFile}) …`);

  const bootStarted = performance.now();
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (!isAlive(child.pid)) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
      rmSync(pidFile, { force: true });
      fail(`the broker exited during startup; last lines of ${logFile}:\n${tail}`);
    }
    // The port opens a moment before the broker can serve requests; "started" in the log means it can.
    const log = readFileSync(logFile, "utf8").slice(logStart);
    if (log.includes("Kafka Server started") && (await canConnect(port))) break;
    if (Date.now() > deadline) {
      fail(`the broker did not become ready within ${startTimeoutMs} ms; see ${logFile} (stop it with npm run kafka:stop)`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  say(`broker ready at ${host}:${port} (controller ${host}:${controllerPort}) after ${seconds(bootStarted)}`);
}

/**
 * Stops the broker (SIGTERM, as a machine's shutdown would) and starts it again on the same storage: what it
 * held is kept, its clients see it go away and come back. For tests of a broker restart.
 */
async function restart() {
  const pid = runningPid();
  const state = readState();
  if (pid === undefined || state?.dataDir === undefined) fail("no broker of this script is running to restart; start it first");
  say(`restarting broker (pid ${pid}) on ${state.dataDir} …`);
  await terminate(pid);
  await launch(state.dataDir, join(state.dataDir, "server.properties"), classpath(), jvmArgs(state.dataDir));
}

/** SIGTERM, and SIGKILL if the broker has not exited within 30 s; resolves once it is gone. */
async function terminate(pid) {
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    say("did not stop within 30 s; sending SIGKILL");
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop() {
  const pid = runningPid();
  const state = readState();
  if (pid === undefined) {
    say("not running");
  } else {
    say(`stopping broker (pid ${pid}) …`);
    const started = performance.now();
    await terminate(pid);
    say(`stopped in ${seconds(started)}`);
  }
  rmSync(pidFile, { force: true });
  if (state?.dataDir !== undefined && state.dataDir.startsWith(tmpdir())) rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}

async function status() {
  const pid = runningPid();
  if (pid !== undefined && (await canConnect(port))) {
    say(`running (pid ${pid}) at ${host}:${port}`);
    return;
  }
  say(pid === undefined ? "not running" : `process ${pid} is alive but ${host}:${port} is not accepting connections`);
  process.exit(3);
}

const command = process.argv[2];
if (command === "start") await start();
else if (command === "stop") await stop();
else if (command === "restart") await restart();
else if (command === "status") await status();
else fail(`unknown command "${command ?? ""}"; use start, stop, restart or status`);
