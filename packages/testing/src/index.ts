/**
 * @eddy/testing: test Eddy functions in-process with the real runtime, virtual
 * time and an in-memory store. No test-framework globals: use it from
 * node:test, vitest or jest alike.
 */
export { TestRuntime } from "./test-runtime.js";
export type { TestRuntimeOptions } from "./test-runtime.js";
export type { CapturedMessage } from "./captured-message.js";
export type { StateValues } from "./state-values.js";
export type { InvocationFailure } from "./invocation-failure.js";
export { VirtualClock } from "./virtual-clock.js";
