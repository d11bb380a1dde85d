// End-to-end compatibility scenarios where the function server comes and goes while Eddy runs:
// an endpoint that is down when messages arrive, and state handed from one SDK to another
// (statefun-spec §7 #13). Eddy talks to the SDK server directly (no proxy): the endpoint URL in
// module.yaml is the server's own port.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LmdbStateStore } from "@eddy/runtime";
import { freePort, LANGS, startServer } from "../servers.mjs";
import type { Lang, StartedServer } from "../servers.mjs";
import { startEddy } from "./harness.js";

describe("endpoint down at first", () => {
  for (const lang of LANGS) {
    it(`${lang}: messages sent before the SDK server is up are retried and delivered once it starts 1 s later, with no loss or duplication`, async () => {
      const port = await freePort();
      const eddy = await startEddy(port);
      let server: StartedServer | undefined;
      try {
        await eddy.send("compat/counter/a", "1");
        await eddy.send("compat/counter/b", "1");
        await eddy.send("compat/counter/a", "2");
        await eddy.send("compat/counter/c", "1");
        await sleep(1000); // the scenario: nothing listens on the endpoint for a second
        assert.deepEqual(await eddy.drain("counts"), [], "nothing can be delivered while the endpoint is down");
        server = await startServer(lang, { port });

        const got = await eddy.take("counts", 4, 20_000);
        assert.deepEqual([...got].sort(), ["a:1", "a:2", "b:1", "c:1"]);
        assert.ok(got.indexOf("a:1") < got.indexOf("a:2"), `per-address order kept: ${got.join(", ")}`);
        await eddy.runtime.idle();
        assert.deepEqual(await eddy.drain("counts"), [], "no duplicates");

        // And the runtime keeps using the endpoint normally afterwards.
        await eddy.send("compat/counter/a", "3");
        assert.deepEqual(await eddy.take("counts", 1), ["a:3"]);
      } finally {
        await eddy.stop(2_000);
        await server?.stop();
      }
    });
  }
});

describe("runtime restart with the durable store (the function server keeps running)", () => {
  for (const lang of LANGS) {
    it(`${lang}: state and a pending delayed message survive a stop and start of Eddy on the same data dir`, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), `eddy-compat-${lang}-`));
      const server = await startServer(lang);
      try {
        const first = await startEddy(server.port, { store: new LmdbStateStore({ path: dataDir }) });
        try {
          await first.send("compat/counter/r", "1");
          await first.send("compat/counter/r", "2");
          assert.deepEqual(await first.take("counts", 2), ["r:1", "r:2"]);
          await first.send("compat/delayed/r", "schedule:700:across-restart");
          await first.runtime.idle();
          assert.equal(first.runtime.pendingDelayedMessages, 1);
        } finally {
          await first.stop(2_000);
        }

        const second = await startEddy(server.port, { store: new LmdbStateStore({ path: dataDir }) });
        try {
          await second.send("compat/counter/r", "3");
          assert.deepEqual(await second.take("counts", 1), ["r:3"], "the count written before the restart is read back");
          await second.expect("delayed", "r:fired:across-restart");
          await second.runtime.idle();
          assert.deepEqual(await second.drain("delayed"), [], "fired once");
        } finally {
          await second.stop(2_000);
        }
      } finally {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});

describe("cross-SDK state hand-off (same function types, same endpoint URL and port)", () => {
  it("compat/counter `count` written by js is read and continued by python, go, java, then js again", async () => {
    const port = await freePort();
    const eddy = await startEddy(port);
    try {
      const order: Lang[] = ["js", "python", "go", "java", "js"];
      for (const [i, lang] of order.entries()) {
        const server = await startServer(lang, { port });
        try {
          await eddy.send("compat/counter/handoff", lang);
          assert.deepEqual(await eddy.take("counts", 1), [`handoff:${i + 1}`], `${lang} continued the count`);
        } finally {
          await server.stop();
        }
      }
    } finally {
      await eddy.stop(2_000);
    }
  });

  it("compat/types state written by java reads back identically with python and go, and with js (which has no long/double)", async () => {
    const full =
      '{"bool":true,"int":42,"long":1234567890123,"float":1.5,"double":2.25,"string":"hé","zero_bool":false,"zero_int":0,"zero_string":""}';
    const jsView =
      '{"bool":true,"int":42,"float":1.5,"string":"hé","zero_bool":false,"zero_int":0,"zero_string":""}';
    const port = await freePort();
    const eddy = await startEddy(port);
    try {
      const steps: [Lang, string[], string][] = [
        ["java", ["write", "read"], full],
        ["python", ["read"], full],
        ["go", ["read"], full],
        ["js", ["read"], jsView],
      ];
      for (const [lang, messages, expected] of steps) {
        const server = await startServer(lang, { port });
        try {
          for (const m of messages) await eddy.send("compat/types/handoff", m);
          assert.deepEqual(await eddy.take("types", 1), [expected], `${lang} read the stored values`);
        } finally {
          await server.stop();
        }
      }
    } finally {
      await eddy.stop(2_000);
    }
  });
});
