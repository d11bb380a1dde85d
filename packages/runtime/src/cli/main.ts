import { Command } from "commander";
import { isEddyError } from "@eddy/sdk";
import { loadModuleFile } from "../config/index.js";
import { buildRuntime } from "../app/build-runtime.js";
import { createLogger } from "../log/logger.js";
import type { Runtime } from "../runtime/runtime.js";

const program = new Command();
program.name("eddy").description("Eddy: an event-driven database for stateful functions (StateFun 3.x compatible)");

function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`eddy: ${message}\n`);
  if (!isEddyError(error)) process.stderr.write(`${error instanceof Error ? (error.stack ?? "") : ""}\n`);
  process.exit(1);
}

program
  .command("validate")
  .description("check a module.yaml and print its components, without starting anything")
  .argument("<module>", "path to module.yaml")
  .action(async (modulePath: string) => {
    try {
      const config = await loadModuleFile(modulePath);
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
  .action(async (modulePath: string, opts: { host: string; drainTimeout: string }) => {
    const started = performance.now();
    const logger = createLogger();
    let runtime: Runtime;
    try {
      const config = await loadModuleFile(modulePath);
      runtime = await buildRuntime(config, { logger, host: opts.host });
      await runtime.start();
    } catch (error) {
      fail(error);
    }
    logger.info(
      {
        module: modulePath,
        functions: runtime.functions.patterns,
        partitions: runtime.partitionCount,
        startupMs: Math.round(performance.now() - started),
      },
      "eddy is running; press Ctrl+C to stop",
    );
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting without draining");
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, "draining: no new input; finishing accepted messages");
      runtime.stop({ timeoutMs: Number(opts.drainTimeout) }).then(
        ({ drained }) => {
          logger.info({ drained }, "stopped");
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, "error while stopping");
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
  });

program.parseAsync(process.argv).catch(fail);
