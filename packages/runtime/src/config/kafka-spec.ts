// `io.statefun.kafka.v1/ingress` and `io.statefun.kafka.v1/egress`.

import { isScalar } from "yaml";
import type { ConfigNode } from "./config-node.js";
import type {
  KafkaDeliverySemantic,
  KafkaEgressSpec,
  KafkaIngressSpec,
  KafkaPartitionOffset,
  KafkaStartupPosition,
  KafkaTopicRoute,
} from "./module-config.js";
import { requiredStartupDate } from "./startup-date.js";
import { brokerListProblem } from "./broker-list.js";
import { kafkaTopicNameProblem } from "./kafka-topic-name.js";

export function parseKafkaIngressSpec(spec: ConfigNode): KafkaIngressSpec {
  const id = spec.child("id").requiredTypeName("the ingress id, e.g. example/names");
  const properties = spec.child("properties").keyValueList();
  return {
    id,
    address: brokerAddress(spec.child("address"), properties),
    consumerGroupId: namedOrProperty(spec.child("consumerGroupId"), properties, "group.id"),
    topics: spec
      .child("topics")
      .list({ required: true, nonEmpty: true, hint: "a list of {topic, valueType, targets}" })
      .map(parseTopicRoute),
    // StateFun's code starts from `latest` when no position is given, although its docs claim group offsets.
    startupPosition: parseStartupPosition(spec.child("startupPosition")),
    autoOffsetResetPosition: spec
      .child("autoOffsetResetPosition")
      .choice(["earliest", "latest"], "latest", { caseInsensitive: true }),
    properties,
  };
}

export function parseKafkaEgressSpec(spec: ConfigNode): KafkaEgressSpec {
  const id = spec.child("id").requiredTypeName("the egress id functions send to, e.g. example/out");
  const properties = spec.child("properties").keyValueList();
  return {
    id,
    address: brokerAddress(spec.child("address"), properties),
    deliverySemantic: parseDeliverySemantic(spec.child("deliverySemantic")),
    properties,
  };
}

/** A setting that may be given by its own key or as a raw client property; the key wins. */
function brokerAddress(node: ConfigNode, properties: Readonly<Record<string, string>>): string {
  const address = namedOrProperty(node, properties, "bootstrap.servers");
  const problem = node.isPresent ? brokerListProblem(address) : undefined;
  if (problem !== undefined) node.report(problem);
  return address;
}

function namedOrProperty(node: ConfigNode, properties: Readonly<Record<string, string>>, propertyKey: string): string {
  if (node.isPresent) return node.optionalString() ?? "";
  const fromProperties = properties[propertyKey];
  if (fromProperties !== undefined) return fromProperties;
  node.report(`is required (or set ${propertyKey} in properties)`);
  return "";
}

function parseTopicRoute(item: ConfigNode): KafkaTopicRoute {
  const route = item.map({ required: true, hint: "{topic, valueType, targets}" });
  const topicNode = route.child("topic");
  const topic = topicNode.requiredString();
  const problem = topic === "" ? undefined : kafkaTopicNameProblem(topic);
  if (problem !== undefined) topicNode.report(problem);
  return {
    topic,
    valueType: route.child("valueType").requiredTypeName("the type name records are tagged with"),
    targets: route
      .child("targets")
      .list({ required: true, hint: "function types to send each record to" })
      .map((target) => target.requiredTypeName()),
  };
}

function parseStartupPosition(node: ConfigNode): KafkaStartupPosition {
  const position = node.map();
  if (!position.isPresent) return { type: "latest" };
  const type = position
    .child("type")
    .choice(["group-offsets", "earliest", "latest", "specific-offsets", "date"], undefined, { caseInsensitive: true });
  switch (type) {
    case "specific-offsets":
      return { type, offsets: parseSpecificOffsets(position.child("offsets")) };
    case "date":
      return { type, epochMillis: requiredStartupDate(position.child("date")) };
    default:
      return { type };
  }
}

/** `offsets: [- "topic/partition": offset]`, StateFun's list-of-single-key-maps form. */
function parseSpecificOffsets(node: ConfigNode): KafkaPartitionOffset[] {
  const offsets: KafkaPartitionOffset[] = [];
  for (const item of node.list({ required: true, hint: `a list like - "topic/0": 42` })) {
    const entries = item.map({ required: true }).entries();
    if (entries.length !== 1) {
      item.report(`each item must be a single "topic/partition": offset pair`);
      continue;
    }
    for (const [key, value] of entries) {
      // Topic names may not contain `/`, but split at the last one anyway: the partition is what follows.
      const slash = key.lastIndexOf("/");
      const topic = key.slice(0, slash);
      const partitionText = key.slice(slash + 1);
      if (slash <= 0 || !/^\d+$/u.test(partitionText)) {
        value.report(`"${key}" is not a "topic/partition" key (e.g. "user-logins/0")`);
        continue;
      }
      const topicProblem = kafkaTopicNameProblem(topic);
      if (topicProblem !== undefined) {
        value.report(topicProblem);
        continue;
      }
      const offset = value.requiredInteger({ min: 0 }, "a non-negative offset");
      offsets.push({ topic, partition: Number(partitionText), offset });
    }
  }
  return offsets;
}

function parseDeliverySemantic(node: ConfigNode): KafkaDeliverySemantic {
  const semantic = node.map();
  if (!semantic.isPresent) return { type: "at-least-once" };
  const type = semantic
    .child("type")
    .choice(["at-least-once", "exactly-once", "none"], undefined, { caseInsensitive: true });
  if (type !== "exactly-once") return { type };

  // The deprecated millis key takes precedence, as in StateFun. It must be a plain number:
  // StateFun would read the docs' `15min` example as 0.
  const millisNode = semantic.child("transactionTimeoutMillis");
  if (millisNode.isPresent) {
    return { type, transactionTimeout: parseMillisNumber(millisNode) };
  }
  const transactionTimeout = semantic
    .child("transactionTimeout")
    .optionalDuration({ positive: true });
  if (transactionTimeout === undefined) {
    if (!semantic.child("transactionTimeout").isPresent) {
      semantic
        .child("transactionTimeout")
        .report(`is required for exactly-once (e.g. "15 min"; it becomes the producer's transaction.timeout.ms)`);
    }
    return { type, transactionTimeout: 0 };
  }
  return { type, transactionTimeout };
}

function parseMillisNumber(node: ConfigNode): number {
  const raw: unknown = isScalar(node.value) ? node.value.value : undefined;
  const millis = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/u.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(millis) || millis <= 0) {
    node.report(
      `must be a plain number of milliseconds above 0, not ${node.description} (use transactionTimeout for durations like "15 min")`,
    );
    return 0;
  }
  return millis;
}
