import { Command, Option } from "commander";
import { EddyError, isEddyError } from "@eddy/sdk";
import { loadModuleFile } from "../config/index.js";
import type { ModuleConfig } from "../config/index.js";
import { buildRuntime } from "../app/build-runtime.js";
import { createLogger, LOG_FORMATS, silentLogger } from "../log/logger.js";
import type { LogFormat } from "../log/logger.js";
import { isSystemError, systemErrorText } from "../log/system-error.js";
import { MemoryStateStore } from "../store/memory-state-store.js";
import type { Runtime } from "../runtime/runtime.js";
import { dirname, join, resolve } from "node:path";
import type { LmdbStateStore, LmdbStateStoreOptions } from "../store/lmdb-state-store.js";
import { exportSnapshot, importSnapshot } from "../store/snapshot.js";
import type { StateStore } from "../store/state-store.js";
import { createRuntimeAdmin } from "../admin/runtime-admin.js";
import { tracingFromEnvironment } from "../observability/tracing.js";
import type { AdminServer } from "../admin/admin-server.js";
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from "../admin/admin-server.js";
import { eddyVersion } from "./version.js";
import { registerAdminCommands } from "./admin-commands.js";
import { registerInitCommand } from "./init-command.js";
import type { ClusterSettings } from "../cluster/cluster-settings.js";
import { checkClusterName } from "../cluster/cluster-settings.js";
import { bootstrapBrokers } from "../io/kafka/kafka-common.js";

const program = new Command();
program
  .name("eddy")
  .description("Eddy: an event-driven database for stateful functions (StateFun 3.x compatible)")
  .version(eddyVersion(), "-V, --version", "print the version of Eddy");

/**
 * One line for every error a user can cause (Eddy's own, and system errors
 * such as an unwritable file); a stack trace only for what must be a bug.
 */
function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`eddy: ${message}\n`);
  if (!isEddyError(error) && !isSystemError(error)) {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? "") : ""}\n`);
  }
  process.exit(1);
}

/** Loads lmdb (its native module is a tenth of `eddy run`'s startup) only for a command that uses a data directory. */
async function openLmdbStore(options: LmdbStateStoreOptions): Promise<LmdbStateStore> {
  const { LmdbStateStore } = await import("../store/lmdb-state-store.js");
  return new LmdbStateStore(options);
}

/** loadModuleFile, with a missing or unreadable file named in words rather than as an fs error. */
async function readModule(path: string): Promise<ModuleConfig> {
  try {
    return await loadModuleFile(path);
  } catch (cause) {
    if (!isSystemError(cause)) throw cause;
    const why = cause.code === "ENOENT" ? "it does not exist; check the path" : systemErrorText(cause);
    throw new EddyError("EDDY_CONFIG_INVALID", `cannot read the module file ${resolve(path)}: ${why}`, { cause });
  }
}

program
  .command("validate")
  .description("check a module.yaml and print its components, without starting anything")
  .argument("<module>", "path to module.yaml")
  .action(async (modulePath: string) => {
    try {
      const config = await readModule(modulePath);
      // Everything `run` checks before it starts anything: embedded modules load and export what
      // their patterns name, bindings and modules apply. Nothing is started, nothing is stored.
      await buildRuntime(config, { logger: silentLogger(), store: new MemoryStateStore() });
      for (const c of config.components) {
        process.stdout.write(`${c.location.file}:${c.location.line} ${c.kind}\n`);
      }
      process.stdout.write(`${modulePath}: ${config.components.length} components, valid\n`);
    } catch (error) {
      fail(error);
    }
  });

program
  .command("run")
  .description("run the functions, ingresses and egresses of a module.yaml in the foreground")
  .argument("<module>", "path to module.yaml")
  .option("--host <host>", "address the playground ingress and egress bind to", "127.0.0.1")
  .option("--drain-timeout <ms>", "how long shutdown waits for accepted messages to be processed", "10000")
  .option("--data-dir <dir>", "where state, pending messages and timers are kept (default: .eddy-data beside the module file); with --cluster, the worker's local cache of its partitions' state (default: none)")
  .option("--in-memory", "keep everything in memory: fastest, and lost on exit")
  .option("--quarantine-after <attempts>", "failed attempts before a message is parked, for function types module.yaml does not set (io.eddy.runtime.v1/quarantine)", "10")
  .option("--admin-port <port>", "port of the admin API (health, state inspection, quarantine); 0 picks a free one", String(DEFAULT_ADMIN_PORT))
  .option("--admin-host <host>", "address the admin API binds to; it has no authentication, so keep it on loopback", DEFAULT_ADMIN_HOST)
  .option("--no-admin", "run without the admin API")
  .addOption(
    new Option("--log-format <format>", "log lines as JSON (for machines) or pretty text (for people); default: pretty when stdout is a terminal, else json; the level is EDDY_LOG_LEVEL").choices(
      LOG_FORMATS,
    ),
  )
  .option("--cluster <name>", "run as a worker of this cluster: state, messages and timers live in Kafka topics eddy.<name>.* (docs/cluster.md)")
  .option("--bootstrap <host:port,...>", "Kafka brokers of the cluster (with --cluster)")
  .option("--partitions <n>", "partitions of the cluster's topics, fixed when they are created (with --cluster)", "32")
  .option("--replication-factor <n>", "replication factor of the topics Eddy creates (with --cluster; use 3 in production)", "1")
  .option("--session-timeout <ms>", "how long a silent worker keeps its partitions before the others take them over (with --cluster; the broker allows 6000 and up by default)", "6000")
  .action(async (modulePath: string, opts: RunOptions) => {
    const started = performance.now();
    const logger = createLogger({ format: opts.logFormat ?? (process.stdout.isTTY ? "pretty" : "json") });
    let runtime: Runtime;
    let store: StateStore | undefined;
    let admin: AdminServer | undefined;
    const dataDir = opts.inMemory === true || opts.cluster !== undefined ? undefined : resolve(opts.dataDir ?? join(dirname(modulePath), ".eddy-data"));
    try {
      const adminPort = parsePort(opts.adminPort, "--admin-port");
      const quarantineAfter = Number(opts.quarantineAfter);
      if (!Number.isInteger(quarantineAfter) || quarantineAfter < 1) {
        throw new EddyError("EDDY_CONFIG_INVALID", `--quarantine-after must be a whole number of attempts ≥ 1, got "${opts.quarantineAfter}"`);
      }
      const cluster = clusterSettings(opts);
      const config = await readModule(modulePath);
      store = dataDir === undefined ? undefined : await openLmdbStore({ path: dataDir });
      // OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on (docs/observability.md); without it nothing is loaded.
      const tracing = await tracingFromEnvironment(process.env, logger);
      runtime = await buildRuntime(config, { logger, host: opts.host, tracing, quarantineAfter, ...(store === undefined ? {} : { store }), ...(cluster === undefined ? {} : { cluster }) });
      if (opts.admin) {
        admin = createRuntimeAdmin(runtime, { port: adminPort, host: opts.adminHost, logger, version: eddyVersion() });
        // Before start(), so /readyz answers 503 while the store recovers.
        await admin.start();
        logger.info({ admin: admin.url }, `admin API on ${admin.url} (GET /openapi.json lists the endpoints; web console: ${admin.url}/ui; metrics: ${admin.url}/metrics)`);
      }
      await runtime.start();
    } catch (error) {
      await admin?.stop();
      await store?.close();
      fail(error);
    }
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting without draining");
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, "draining: no new input; finishing accepted messages");
      const timeoutMs = Number(opts.drainTimeout);
      runtime.stop({ timeoutMs }).then(
        async ({ drained, pending }) => {
          await admin?.stop();
          logger.info({ drained, pending }, "stopped");
          if (drained) process.exit(0);
          const fate =
            opts.cluster !== undefined
              ? `they stay in the cluster's log and the partitions' next owners process them`
              : dataDir === undefined
                ? "they are lost (--in-memory)"
                : `they are kept in ${dataDir} and processed on the next start`;
          process.stderr.write(
            `eddy: the drain timed out after ${timeoutMs} ms with ${pending} accepted message${pending === 1 ? "" : "s"} not processed; ${fate}. The log above names the addresses that kept failing; a longer --drain-timeout gives slow functions more time\n`,
          );
          process.exit(1);
        },
        (error: unknown) => {
          logger.error({ err: error }, "error while stopping");
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    // After the handlers: a supervisor may signal the moment it reads this line.
    logger.info(
      {
        module: modulePath,
        functions: runtime.functions.patterns,
        partitions: runtime.partitionCount,
        store: opts.cluster !== undefined ? `kafka (cluster ${opts.cluster}${opts.dataDir === undefined ? "" : `, local cache ${resolve(opts.dataDir)}`})` : (dataDir ?? "in-memory"),
        startupMs: Math.round(performance.now() - started),
      },
      "eddy is running; press Ctrl+C to stop",
    );
  });

interface RunOptions {
  readonly host: string;
  readonly drainTimeout: string;
  readonly dataDir?: string;
  readonly inMemory?: boolean;
  readonly adminPort: string;
  readonly quarantineAfter: string;
  readonly adminHost: string;
  readonly admin: boolean;
  readonly logFormat?: LogFormat;
  readonly cluster?: string;
  readonly bootstrap?: string;
  readonly partitions: string;
  readonly replicationFactor: string;
  readonly sessionTimeout: string;
}

function positiveInteger(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new EddyError("EDDY_CONFIG_INVALID", `${option} ${text}: expected a whole number ≥ 1`);
  return n;
}

/** The cluster flags, checked; undefined for the embedded mode. */
function clusterSettings(opts: RunOptions): ClusterSettings | undefined {
  if (opts.cluster === undefined) {
    if (opts.bootstrap !== undefined) throw new EddyError("EDDY_CONFIG_INVALID", "--bootstrap needs --cluster <name> (the cluster this worker joins)");
    return undefined;
  }
  checkClusterName(opts.cluster);
  if (opts.bootstrap === undefined) throw new EddyError("EDDY_CONFIG_INVALID", `--cluster ${opts.cluster} needs --bootstrap <host:port,...> (the Kafka brokers)`);
  if (opts.inMemory === true) {
    throw new EddyError("EDDY_CONFIG_INVALID", "--in-memory does not apply with --cluster: a cluster worker keeps its state in Kafka (and, with --data-dir, a local cache of it)");
  }
  return {
    cluster: opts.cluster,
    brokers: bootstrapBrokers(opts.bootstrap),
    partitions: positiveInteger(opts.partitions, "--partitions"),
    replicationFactor: positiveInteger(opts.replicationFactor, "--replication-factor"),
    sessionTimeoutMs: positiveInteger(opts.sessionTimeout, "--session-timeout"),
    ...(opts.dataDir === undefined ? {} : { dataDir: resolve(opts.dataDir) }),
  };
}

function parsePort(text: string, option: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new EddyError("EDDY_CONFIG_INVALID", `${option} must be a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

const state = program.command("state").description("export or import the durable store (a portable snapshot)");

state
  .command("export")
  .description("write every state value, pending message, timer and egress record of a data directory to a file")
  .argument("<data-dir>", "the data directory of a stopped runtime")
  .argument("<file>", "snapshot file to write (JSON lines)")
  .action(async (dataDir: string, file: string) => {
    try {
      // mustExist: a mistyped path is refused, never created as an empty store.
      const store = await openLmdbStore({ path: resolve(dataDir), mustExist: true });
      try {
        const count = await exportSnapshot(store, file);
        process.stdout.write(`exported ${count} records from ${dataDir} to ${file}\n`);
      } finally {
        await store.close();
      }
    } catch (error) {
      fail(error);
    }
  });

state
  .command("import")
  .description("load a snapshot file into an empty data directory")
  .argument("<file>", "snapshot file written by `eddy state export`")
  .argument("<data-dir>", "an empty (or new) data directory")
  .action(async (file: string, dataDir: string) => {
    try {
      const store = await openLmdbStore({ path: resolve(dataDir) });
      try {
        const count = await importSnapshot(file, store);
        process.stdout.write(`imported ${count} records from ${file} into ${dataDir}\n`);
      } finally {
        await store.close();
      }
    } catch (error) {
      fail(error);
    }
  });

registerInitCommand(program, fail);

registerAdminCommands(program, fail);

program.parseAsync(process.argv).catch(fail);
