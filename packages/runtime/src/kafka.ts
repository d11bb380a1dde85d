/**
 * `@eddy/runtime/kafka`: the Kafka ingress and egress as library classes. A
 * separate entry point, because its client library (`@platformatic/kafka`, an
 * optional peer dependency) takes most of a second to load.
 */
export { KafkaIngress } from "./io/kafka/kafka-ingress.js";
export type { KafkaIngressOptions } from "./io/kafka/kafka-ingress.js";
export { KafkaEgress } from "./io/kafka/kafka-egress.js";
export type { KafkaEgressOptions } from "./io/kafka/kafka-egress.js";
