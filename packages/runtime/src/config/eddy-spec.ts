// Eddy's own kinds: functions that run without a separately managed HTTP
// server, and runtime settings. StateFun has no equivalent, so these are our
// design (see docs/module-yaml.md).

import { extname } from "node:path";
import type { ConfigNode } from "./config-node.js";
import type { ColocatedFunctionsSpec, EmbeddedFunctionsSpec, QuarantineSpec, RuntimeSettingsSpec } from "./module-config.js";
import { optionalPath, requiredPath } from "./paths.js";

/** The runtime imports these itself (TypeScript through its loader), so only these are meaningful. */
const MODULE_EXTENSIONS: readonly string[] = [".ts", ".mts", ".js", ".mjs", ".cjs"];

export const COLOCATED_DEFAULTS = {
  transport: "unix",
  urlPathTemplate: "/",
  readinessTimeout: 10_000,
  minBackoff: 100,
  maxBackoff: 30_000,
  maxNumBatchRequests: 1000,
  call: 2 * 60_000,
} as const;

export const RUNTIME_SETTINGS_DEFAULTS: RuntimeSettingsSpec = { partitions: 8, maxPendingMessages: 65_536, maxPendingEgressRecords: 65_536 };

export function parseEmbeddedFunctionsSpec(spec: ConfigNode): EmbeddedFunctionsSpec {
  const functions = spec.child("functions").requiredFunctionPattern();
  const moduleNode = spec.child("module");
  const module = requiredPath(moduleNode, `a .ts or .js file, e.g. "./functions.ts"`);
  if (module !== "" && !MODULE_EXTENSIONS.includes(extname(module))) {
    moduleNode.report(`"${moduleNode.optionalString() ?? module}" is not a JavaScript or TypeScript module (use ${MODULE_EXTENSIONS.join(", ")})`);
  }
  const exportName = spec.child("export").optionalString();
  return { functions, module, ...(exportName === undefined ? {} : { export: exportName }) };
}

export function parseColocatedFunctionsSpec(spec: ConfigNode): ColocatedFunctionsSpec {
  const functions = spec.child("functions").requiredFunctionPattern();
  const command = spec
    .child("command")
    .stringList({ required: true, nonEmpty: true, hint: `program and arguments, e.g. ["node", "server.js"]` });

  const urlNode = spec.child("urlPathTemplate");
  const urlPathTemplate = urlNode.optionalString() ?? COLOCATED_DEFAULTS.urlPathTemplate;
  if (!urlPathTemplate.startsWith("/")) {
    // The runtime chooses host and port (or socket) itself, so only a path is meaningful here.
    urlNode.report(`"${urlPathTemplate}" must be a path starting with "/" (the runtime picks the address)`);
  }

  const readiness = spec.child("readiness").map();
  const restart = spec.child("restart").map();
  const minBackoffNode = restart.child("minBackoff");
  const maxBackoffNode = restart.child("maxBackoff");
  const givenMin = minBackoffNode.optionalDuration({ positive: true });
  const givenMax = maxBackoffNode.optionalDuration({ positive: true });
  const minBackoff = givenMin ?? COLOCATED_DEFAULTS.minBackoff;
  const maxBackoff = givenMax ?? COLOCATED_DEFAULTS.maxBackoff;
  const bothValid = (givenMin !== undefined || !minBackoffNode.isPresent) && (givenMax !== undefined || !maxBackoffNode.isPresent);
  if (bothValid && minBackoff > maxBackoff) {
    (maxBackoffNode.isPresent ? maxBackoffNode : minBackoffNode).report("minBackoff must not be longer than maxBackoff");
  }

  return {
    functions,
    command,
    env: spec.child("env").stringMap(),
    cwd: optionalPath(spec.child("cwd")) ?? spec.context.baseDir,
    transport: spec.child("transport").choice(["unix", "tcp"], COLOCATED_DEFAULTS.transport),
    urlPathTemplate,
    readiness: { timeout: readiness.child("timeout").duration(COLOCATED_DEFAULTS.readinessTimeout, { positive: true }) },
    restart: { minBackoff, maxBackoff },
    maxNumBatchRequests: spec.child("maxNumBatchRequests").integer(COLOCATED_DEFAULTS.maxNumBatchRequests),
    call: spec.child("call").duration(COLOCATED_DEFAULTS.call, { positive: true }),
  };
}

export function parseRuntimeSettingsSpec(spec: ConfigNode): RuntimeSettingsSpec {
  return {
    partitions: spec.child("partitions").integer(RUNTIME_SETTINGS_DEFAULTS.partitions, { min: 1 }),
    maxPendingMessages: spec.child("maxPendingMessages").integer(RUNTIME_SETTINGS_DEFAULTS.maxPendingMessages, { min: 1 }),
    maxPendingEgressRecords: spec.child("maxPendingEgressRecords").integer(RUNTIME_SETTINGS_DEFAULTS.maxPendingEgressRecords, { min: 1 }),
  };
}

export function parseQuarantineSpec(spec: ConfigNode): QuarantineSpec {
  const functions = spec.child("functions").requiredFunctionPattern();
  const attempts = spec.child("afterAttempts");
  if (!attempts.isPresent) attempts.report("afterAttempts is required: failed attempts before a message is parked, e.g. 5");
  return { functions, afterAttempts: attempts.integer(10, { min: 1 }) };
}
