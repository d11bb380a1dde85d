import type { ColocatedFunctionsSpec } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { EndpointPools } from "../remote/endpoint-pools.js";
import { functionUrl } from "../remote/endpoint-url.js";
import { remoteInvoker } from "../remote/remote-invoker.js";
import type { Runtime } from "../runtime/runtime.js";
import { ColocatedProcess } from "./colocated-process.js";
import type { ColocatedProcessOptions } from "./colocated-process.js";

export interface BindColocatedOptions {
  readonly logger: Logger;
  /** The runtime's shared HTTP pools; whoever created them closes them on stop. */
  readonly pools: EndpointPools;
  /** Where the component is declared (`file:line:column`), for errors. */
  readonly where: string;
  readonly stopGraceMs?: number;
  readonly stableAfterMs?: number;
}

/**
 * Binds `spec.functions` to a supervised co-located process. The process
 * starts with the runtime (start() rejects if it never becomes ready, so the
 * runtime refuses to start) and stops after the runtime has drained, because
 * draining still needs the functions.
 */
export function bindColocatedFunctions(runtime: Runtime, spec: ColocatedFunctionsSpec, options: BindColocatedOptions): ColocatedProcess {
  const processOptions: ColocatedProcessOptions = {
    spec,
    logger: options.logger,
    where: options.where,
    ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
    ...(options.stableAfterMs === undefined ? {} : { stableAfterMs: options.stableAfterMs }),
  };
  const supervisor = new ColocatedProcess(processOptions);
  const { pools, logger } = options;
  runtime.bindInvoker(
    spec.functions.text,
    // Invokers are created on first use, after start() has chosen where the process listens.
    (functionType) =>
      remoteInvoker({
        functionType,
        url: supervisor.url(functionUrl(spec.urlPathTemplate, functionType)),
        maxBacklog: spec.maxNumBatchRequests,
        transport: { type: "async", callMs: spec.call },
        pools,
        logger,
        tracing: runtime.tracing,
      }),
    options.where,
  );
  // Started before recovery, which may invoke the functions at once; stopped only after the drain,
  // which still needs them.
  runtime.onStart(
    {
      id: `io.eddy.functions.v1/colocated ${spec.functions.text}`,
      start: () => supervisor.start(),
      stop: () => supervisor.stop(),
      describe: () => supervisor.describe(),
    },
    { source: options.where },
  );
  runtime.onStop(() => supervisor.stop());
  return supervisor;
}
