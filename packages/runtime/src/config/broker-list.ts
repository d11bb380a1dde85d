// Kafka's `bootstrap.servers` rule: a comma-separated list of host:port. Checked
// when the file is read, because the Kafka client would only say so on connect.

/** The rule the list breaks, or undefined when every entry is a host and a port from 1 to 65535. */
export function brokerListProblem(address: string): string | undefined {
  const entries = address.split(",").map((entry) => entry.trim());
  if (entries.every((entry) => entry === "")) return `names no broker (expected host:port, e.g. "kafka:9092")`;
  for (const entry of entries) {
    if (entry === "") continue;
    const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/u.exec(entry);
    const port = match === null ? Number.NaN : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      return `"${entry}" is not a broker address (expected host:port with a port from 1 to 65535, e.g. "kafka:9092")`;
    }
  }
  return undefined;
}
