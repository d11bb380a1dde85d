/**
 * `@eddy/runtime/kinesis`: the Kinesis ingress and egress as library classes.
 * A separate entry point, because the AWS SDK (an optional peer dependency)
 * is loaded only by modules that use Kinesis.
 */
export { KinesisIngress } from "./io/kinesis/kinesis-ingress.js";
export type { KinesisIngressOptions } from "./io/kinesis/kinesis-ingress.js";
export { KinesisEgress } from "./io/kinesis/kinesis-egress.js";
export type { KinesisEgressOptions } from "./io/kinesis/kinesis-egress.js";
