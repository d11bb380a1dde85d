// Kafka's rule for topic names (its `Topic.validate`). Checked where a name enters Eddy — the
// module file's ingress topics, a function's egress record — because the broker would refuse it
// only later, as a produce or fetch error far from the name's source.

const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/u;

/** The rule the name breaks, or undefined when Kafka accepts it as a topic name. */
export function kafkaTopicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return "a topic name must not be empty";
  if (topic === "." || topic === "..") return `"${topic}" is not a topic name (Kafka refuses "." and "..")`;
  if (topic.length > MAX_TOPIC_NAME_LENGTH) {
    return `the topic name "${topic.slice(0, 40)}…" is ${topic.length} characters long; Kafka allows at most ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL_TOPIC_NAME.test(topic)) {
    return `"${topic}" is not a topic name: Kafka allows only ASCII letters, digits, ".", "_" and "-"`;
  }
  return undefined;
}
