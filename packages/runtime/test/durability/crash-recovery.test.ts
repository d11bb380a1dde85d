/**
 * Crash recovery under load: `eddy run --data-dir` as a child process is
 * SIGKILLed at random moments while HTTP clients send messages and a poller
 * drains the audit topic, then restarted on the same directory. At the end
 * the store is audited: every message answered 200 was applied exactly once
 * (counter, mirror and delayed timer), a message whose request failed was
 * applied at most once and consistently, nothing was applied that was never
 * sent, and every applied message reached the audit egress (a repeat after a
 * crash carries the same Eddy-Record-Id). See docs/durability.md.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { address, Types } from "@eddy/sdk";
import { LmdbStateStore } from "@eddy/runtime";
import { startEddy } from "../support/eddy-process.js";
import { freePort, playgroundModuleYaml } from "../support/local-servers.js";

const functionsModule = new URL("./crash-functions.ts", import.meta.url).pathname;

const KEYS = 30;
const TARGET_ACCEPTED = KEYS * 100;
const MIN_KILLS = 6;
const CLIENTS = 8;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const randomBetween = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));


/** What a restarted runtime logged it resumed from (its "recovered from the store" line). */
function recoveredCounts(output: string): { messages: number; timers: number; egressRecords: number } {
  for (const line of output.split("\n")) {
    if (!line.includes("recovered from the store")) continue;
    const r = JSON.parse(line) as { messages?: number; timers?: number; egressRecords?: number };
    return { messages: r.messages ?? 0, timers: r.timers ?? 0, egressRecords: r.egressRecords ?? 0 };
  }
  return { messages: 0, timers: 0, egressRecords: 0 };
}

type Outcome = "accepted" | "uncertain" | "refused";

interface Sent {
  readonly key: string;
  outcome: Outcome;
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

describe("crash recovery (eddy run --data-dir, SIGKILL under load)", () => {
  it("applies every accepted message exactly once and every uncertain one at most once, with no phantom effects", { timeout: 180_000 }, async () => {
    const started = performance.now();
    const [ingressPort, egressPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), "eddy-crash-"));
    const dataDir = join(dir, "data");
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      playgroundModuleYaml({ functions: "crash/*", module: functionsModule, ingressPort, egressPort, topics: ["audit"] }),
    );

    const sent = new Map<string, Sent>();
    /** Every 200 answer of GET /audit: payload → record ids, in arrival order. */
    const audit = new Map<string, string[]>();
    let auditReceipts = 0;
    let lastAuditAt = performance.now();
    let accepted = 0;
    let acceptedSinceStart = 0;
    let nextId = 0;
    let loading = true;
    let polling = true;

    const ingress = new Pool(`http://127.0.0.1:${ingressPort}`, { connections: CLIENTS, pipelining: 1 });
    const egress = new Pool(`http://127.0.0.1:${egressPort}`, { connections: 1, pipelining: 1 });

    async function client(): Promise<void> {
      while (loading) {
        const n = nextId++;
        const id = `m${n}`;
        const key = `k${n % KEYS}`;
        const record: Sent = { key, outcome: "uncertain" };
        sent.set(id, record);
        try {
          const { statusCode, body } = await ingress.request({
            path: `/crash/counter/${key}`,
            method: "PUT",
            headers: { "content-type": "application/vnd.crash/id" },
            body: id,
          });
          await body.dump();
          if (statusCode === 200) {
            record.outcome = "accepted";
            accepted++;
            acceptedSinceStart++;
          } else {
            await sleep(20);
          }
        } catch (error) {
          // Refused connections never reached the runtime; anything else may have.
          if (errorCode(error) === "ECONNREFUSED") record.outcome = "refused";
          await sleep(50);
        }
      }
    }

    async function poller(): Promise<void> {
      while (polling) {
        try {
          const { statusCode, headers, body } = await egress.request({ path: "/audit", method: "GET" });
          const text = await body.text();
          if (statusCode === 200) {
            const recordId = String(headers["eddy-record-id"]);
            const ids = audit.get(text);
            if (ids === undefined) audit.set(text, [recordId]);
            else ids.push(recordId);
            auditReceipts++;
            lastAuditAt = performance.now();
          } else {
            await sleep(5);
          }
        } catch {
          await sleep(20);
        }
      }
    }

    let eddy = await startEddy(["run", moduleFile, "--data-dir", dataDir]);
    const load = Promise.all(Array.from({ length: CLIENTS }, client));
    const polled = poller();
    let kills = 0;
    const recovered = { messages: 0, timers: 0, egressRecords: 0 };
    try {
      // Kill at a random moment once some load has gone through since the last start,
      // so ingress requests, function-to-function messages and timers are in flight.
      while (kills < MIN_KILLS) {
        const threshold = randomBetween(100, 450);
        acceptedSinceStart = 0;
        while (acceptedSinceStart < threshold) await sleep(2);
        await sleep(randomBetween(0, 40));
        eddy.child.kill("SIGKILL");
        await eddy.exited;
        kills++;
        eddy = await startEddy(["run", moduleFile, "--data-dir", dataDir]);
        const r = recoveredCounts(eddy.output());
        recovered.messages += r.messages;
        recovered.timers += r.timers;
        recovered.egressRecords += r.egressRecords;
      }
      while (accepted < TARGET_ACCEPTED) await sleep(10);
      loading = false;
      await load;
      // Drain: timers fire within 200 ms (at once after a restart when overdue); wait
      // until the audit topic has been quiet for a second.
      const loadEnded = performance.now();
      while (performance.now() - lastAuditAt < 1_000 || performance.now() - loadEnded < 500) await sleep(50);
      polling = false;
      await polled;
      eddy.child.kill("SIGTERM");
      assert.equal(await eddy.exited, 0, eddy.output());
    } finally {
      loading = false;
      polling = false;
      if (eddy.child.exitCode === null && eddy.child.signalCode === null) eddy.child.kill("SIGKILL");
      await ingress.close();
      await egress.close();
    }

    // ---- audit the data directory ------------------------------------------------
    const store = new LmdbStateStore({ path: dataDir });
    const problems: string[] = [];
    const problem = (text: string) => {
      if (problems.length < 20) problems.push(text);
    };
    let uncertain = 0;
    let refused = 0;
    let uncertainApplied = 0;
    let passed = false;
    try {
      const leftover = store.recover();
      assert.equal(leftover.messages.length, 0, "no message is left in the log after a drained stop");
      assert.equal(leftover.timers.length, 0, "no timer is left after a drained stop");
      assert.equal(leftover.egress.length, 0, "every audit record was taken");

      const listOf = (type: string, key: string): string[] => {
        const entry = store.read(address(type, key), `${type}\u0000${key}`, Date.now()).find((e) => e.name === "ids");
        return entry?.value?.value === undefined ? [] : (JSON.parse(Types.string.deserialize(entry.value.value)) as string[]);
      };
      const applied = new Set<string>();
      for (let k = 0; k < KEYS; k++) {
        const key = `k${k}`;
        const counted = listOf("crash/counter", key);
        const lists = { counter: counted, mirror: listOf("crash/mirror", key), timer: listOf("crash/timer", key) };
        const countEntry = store.read(address("crash/counter", key), `crash/counter\u0000${key}`, Date.now()).find((e) => e.name === "count");
        const count = countEntry?.value?.value === undefined ? 0 : Types.int.deserialize(countEntry.value.value);
        if (count !== counted.length) problem(`${key}: count ${count} but ${counted.length} ids in the list`);
        for (const [name, ids] of Object.entries(lists)) {
          const seen = new Set<string>();
          for (const id of ids) {
            if (seen.has(id)) problem(`${name}/${key}: ${id} applied more than once`);
            seen.add(id);
            const s = sent.get(id);
            if (s === undefined || s.key !== key) problem(`${name}/${key}: phantom ${id} (never sent to this key)`);
          }
        }
        const counterSet = new Set(lists.counter);
        for (const name of ["mirror", "timer"] as const) {
          const other = new Set(lists[name]);
          for (const id of counterSet) if (!other.has(id)) problem(`${key}: ${id} applied by counter but missing in ${name}`);
          for (const id of other) if (!counterSet.has(id)) problem(`${key}: ${id} in ${name} but never applied by counter`);
        }
        for (const id of counterSet) applied.add(id);
      }
      for (const [id, s] of sent) {
        if (s.outcome === "accepted" && !applied.has(id)) problem(`${s.key}: accepted ${id} was never applied`);
        if (s.outcome === "refused" && applied.has(id)) problem(`${s.key}: ${id} was refused at connect yet applied`);
        if (s.outcome === "uncertain") {
          uncertain++;
          if (applied.has(id)) uncertainApplied++;
        }
        if (s.outcome === "refused") refused++;
      }
      // The audit egress: each applied id at least once; a repeat is a redelivery of the same record.
      let repeats = 0;
      for (const [payload, recordIds] of audit) {
        const [key, id] = payload.split(":") as [string, string];
        if (!applied.has(id) || sent.get(id)?.key !== key) problem(`audit: phantom record ${payload}`);
        if (recordIds.length > 1) {
          repeats += recordIds.length - 1;
          if (new Set(recordIds).size !== 1) problem(`audit: ${payload} repeated with different record ids ${recordIds.join(",")}`);
        }
      }
      for (const id of applied) {
        const key = sent.get(id)?.key ?? "?";
        if (!audit.has(`${key}:${id}`)) problem(`audit: applied ${key}:${id} was never delivered`);
      }
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `crash-recovery: kills=${kills} accepted=${accepted} uncertain=${uncertain} (applied ${uncertainApplied}) refused=${refused} ` +
          `applied=${applied.size} audit-receipts=${auditReceipts} repeats=${repeats} ` +
          `recovered(messages=${recovered.messages} timers=${recovered.timers} egress=${recovered.egressRecords}) elapsed=${seconds.toFixed(1)}s\n`,
      );
      assert.ok(kills >= MIN_KILLS);
      assert.ok(accepted >= TARGET_ACCEPTED);
      assert.deepEqual(problems, []);
      passed = true;
    } finally {
      await store.close();
      if (passed) rmSync(dir, { recursive: true, force: true });
      else process.stdout.write(`crash-recovery: data directory kept at ${dataDir}\n`);
    }
  });
});
