// The project's Kafka broker for one run of the tests or the benchmarks: started when none is
// running (the first start fetches its jars from Maven Central, see docs/kafka.md), and stopped
// when the run's process exits only if this run started it, so a broker someone started by hand
// (npm run kafka:start) keeps running. Quietly on exit: the test runner's summary must stay the
// last thing printed (CI reads it).
import { spawnSync } from "node:child_process";

const kafkaScript = new URL("./kafka.mjs", import.meta.url).pathname;

/** True once a broker answers; false when it did not start (the [kafka] lines above say why). */
export function useKafkaBroker() {
  const wasRunning = spawnSync(process.execPath, [kafkaScript, "status"], { stdio: "ignore" }).status === 0;
  if (wasRunning) return true;
  const started = spawnSync(process.execPath, [kafkaScript, "start"], { stdio: ["ignore", "inherit", "inherit"] }).status === 0;
  if (started) process.on("exit", () => spawnSync(process.execPath, [kafkaScript, "stop"], { stdio: "ignore" }));
  return started;
}
