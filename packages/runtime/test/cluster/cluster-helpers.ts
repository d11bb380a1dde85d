import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKER, kafkaEgressLines, kafkaIngressLines, produce, readCommitted, repo, unique } from "../kafka/kafka-helpers.js";
import { spawnEddy } from "../support/eddy-process.js";
import type { TestRecord } from "../kafka/kafka-helpers.js";
import type { EddyProcess } from "../kafka/kafka-helpers.js";

export interface ClusterSetup {
  readonly cluster: string;
  readonly input: string;
  readonly output: string;
  readonly moduleFile: string;
  readonly env: Record<string, string>;
}

/** How the pipeline's functions are deployed: embedded (default), behind a remote endpoint's `urlPathTemplate`, or co-located (pipeline-server.ts). */
export type PipelineDeployment = { readonly remoteUrl: string } | { readonly colocated: true };

function functionLines(deployment: PipelineDeployment | undefined): string[] {
  if (deployment === undefined) {
    return ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: test/*", `  module: ${join(repo, "packages/runtime/test/cluster/pipeline-fns.ts")}`];
  }
  if ("remoteUrl" in deployment) return ["kind: io.statefun.endpoints.v2/http", "spec:", "  functions: test/*", `  urlPathTemplate: ${deployment.remoteUrl}`];
  return [
    "kind: io.eddy.functions.v1/colocated",
    "spec:",
    "  functions: test/*",
    `  command: [node, --import, tsx, ${join(repo, "packages/runtime/test/cluster/pipeline-server.ts")}]`,
    `  cwd: ${repo}`,
    "  env: { NODE_OPTIONS: --conditions=eddy-source }",
    "  readiness: { timeout: 30 s }",
  ];
}

/**
 * A fresh cluster name, input and output topics, and the pipeline module (pipeline-fns.ts) reading
 * `input`, its functions deployed as `deployment` says. `ingress`, when given, is the module's ingress
 * document instead of the Kafka ingress of `input` (its target must be test/counter, typed test/Input). Its Kafka
 * ingress and egress use `broker` (a test with a broker of its own).
 */
export function clusterSetup(prefix: string, playgroundPort?: number, deployment?: PipelineDeployment, ingress?: readonly string[], broker = BROKER): ClusterSetup {
  const cluster = unique(prefix);
  const input = unique(`${prefix}-in`);
  const output = unique(`${prefix}-out`);
  const egressId = `test/${unique("out")}`;
  const dir = mkdtempSync(join(tmpdir(), "eddy-cluster-"));
  const moduleFile = join(dir, "module.yaml");
  writeFileSync(
    moduleFile,
    [
      ...functionLines(deployment),
      "---",
      ...(ingress ?? kafkaIngressLines({ id: "test/input", group: `${cluster}-input`, startup: "earliest", topic: input, valueType: "test/Input", target: "test/counter", address: broker })),
      "---",
      ...kafkaEgressLines(egressId, "10s", broker),
      ...(playgroundPort === undefined ? [] : ["---", "kind: io.statefun.playground.v1/ingress", "spec:", `  port: ${playgroundPort}`]),
      "",
    ].join("\n"),
  );
  return { cluster, input, output, moduleFile, env: { EDDY_TEST_OUTPUT_TOPIC: output, EDDY_TEST_EGRESS_ID: egressId } };
}

/** Starts one worker of the cluster (`eddy run <module> --cluster … --bootstrap …`). */
export function startWorker(s: ClusterSetup, extra: readonly string[] = [], env: Record<string, string> = {}): EddyProcess {
  return spawnEddy(
    ["run", s.moduleFile, "--cluster", s.cluster, "--bootstrap", env["EDDY_TEST_BOOTSTRAP"] ?? BROKER, "--partitions", "8", "--admin-port", "0", ...extra],
    { env: { ...s.env, ...env } },
  );
}

/** The admin API's base URL of a worker started with `--admin-port 0`, from its startup line. */
export function adminUrl(worker: EddyProcess): string {
  for (const line of worker.stdout().split("\n")) {
    if (line.includes("admin API on")) return (JSON.parse(line) as { admin: string }).admin;
  }
  throw new Error(`no admin API line in:\n${worker.output()}`);
}

export interface OutputRecord {
  readonly key: string;
  readonly value: string;
}

/** The committed records of `topic` as key and value (readCommitted: until `expected` arrived or `timeoutMs`, then `settleMs`). */
export async function readAllCommitted(topic: string, expected: number, timeoutMs: number, settleMs = 1_500, broker = BROKER): Promise<OutputRecord[]> {
  return (await readCommitted(topic, expected, timeoutMs, settleMs, broker)).map((r) => ({ key: r.key ?? "", value: r.value }));
}

/**
 * Checks the pipeline's output against its inputs: per key, the counter
 * values n and the emit values m are each exactly 1..count (strictly
 * sequential: no effect lost or doubled), and every input appears once.
 */
export function verifyExactlyOnce(out: readonly OutputRecord[], inputs: readonly { key: string; value: string }[]): string[] {
  const problems: string[] = [];
  const expected = new Map<string, string[]>();
  for (const i of inputs) expected.set(i.key, [...(expected.get(i.key) ?? []), i.value]);
  const seen = new Map<string, { n: number[]; m: number[]; inputs: string[] }>();
  for (const r of out) {
    const [n, input, m] = r.value.split(":");
    const s = seen.get(r.key) ?? { n: [], m: [], inputs: [] };
    s.n.push(Number(n));
    s.m.push(Number(m));
    s.inputs.push(input!);
    seen.set(r.key, s);
  }
  if (out.length !== inputs.length) problems.push(`expected ${inputs.length} output records, got ${out.length}`);
  for (const [key, values] of expected) {
    const s = seen.get(key) ?? { n: [], m: [], inputs: [] };
    const sequence = Array.from({ length: values.length }, (_, i) => i + 1).join(",");
    const n = [...s.n].sort((a, b) => a - b).join(",");
    const m = [...s.m].sort((a, b) => a - b).join(",");
    if (n !== sequence) problems.push(`key ${key}: counter values ${n}, expected ${sequence}`);
    if (m !== sequence) problems.push(`key ${key}: emit values ${m}, expected ${sequence}`);
    if ([...s.inputs].sort().join(",") !== [...values].sort().join(",")) problems.push(`key ${key}: inputs seen ${s.inputs.length}, expected ${values.length}`);
  }
  return problems;
}

/**
 * SIGTERMs every worker and waits for each to drain and exit 0; a worker
 * still running after `deadlineMs` is SIGKILLed. Returns what went wrong (a
 * hung or failed drain), per worker.
 */
export const stopAll = async (workers: EddyProcess[], deadlineMs = 30_000): Promise<string[]> => {
  for (const w of workers) w.kill("SIGTERM");
  const problems: string[] = [];
  await Promise.all(
    workers.map(async (w, i) => {
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([w.exited, new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), deadlineMs)))]);
      clearTimeout(timer);
      const tail = () => w.output().split("\n").slice(-15).join("\n");
      if (code === "hung") {
        problems.push(`worker ${i} (pid ${w.pid}) was still running ${deadlineMs} ms after SIGTERM:\n${tail()}`);
        w.kill("SIGKILL");
        await w.exited;
      } else if (code !== 0) {
        problems.push(`worker ${i} (pid ${w.pid}) exited ${String(code)} after SIGTERM (0 = drained):\n${tail()}`);
      }
    }),
  );
  return problems;
};

/** How many group generations a worker has logged (each rebalance it took part in). */
export function generations(worker: EddyProcess): number {
  return (worker.output().match(/group generation \d+:/g) ?? []).length;
}

/** Input written in slices while the test goes on: `atLeast(n)` resolves once n inputs are written, `done` once all are. */
export interface PacedInput {
  readonly done: Promise<void>;
  atLeast(n: number): Promise<void>;
}

/**
 * Writes `inputs` with `write` in slices of `slice` with 100 ms between them,
 * so a kill or a freeze lands while messages, timers and transactions are in
 * flight.
 */
export function writePaced(inputs: readonly TestRecord[], slice: number, write: (records: readonly TestRecord[], from: number) => Promise<void>): PacedInput {
  let written = 0;
  const done = (async () => {
    for (let i = 0; i < inputs.length; i += slice) {
      await write(inputs.slice(i, i + slice), i);
      written = i + slice;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    done,
    async atLeast(n) {
      while (written < n) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

/** Produces `inputs` to `topic` in slices of 60 (writePaced). */
export function producePaced(topic: string, inputs: readonly TestRecord[]): PacedInput {
  return writePaced(inputs, 60, (records) => produce(topic, records));
}
