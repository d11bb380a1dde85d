import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, defineFunction, defineModule, egressMessage, isEddyError, isEddyModule } from "@eddy/sdk";
import type { EddyModule, IngressRecord, TypedValue } from "@eddy/sdk";
import { Runtime, silentLogger } from "@eddy/runtime";
import { str, textOf } from "./helpers.js";

describe("defineModule and the runtime's binder", () => {
  it("binds a function, a custom egress and a custom ingress with its router, end to end", async () => {
    const delivered: TypedValue[][] = [];
    let emit: ((record: IngressRecord) => Promise<void>) | undefined;
    let ingressStopped = false;
    let seenConfig: Readonly<Record<string, string>> | undefined;

    const counter = defineFunction({
      typename: "shop/counter",
      state: { count: Types.int },
      fn(ctx, msg) {
        const count = (ctx.storage.count ?? 0) + 1;
        ctx.storage.count = count;
        ctx.sendEgress(egressMessage({ egress: "shop/out", value: `${ctx.self.id} ${msg.asString()} #${count}`, type: Types.string }));
      },
    });

    const module = defineModule((binder, config) => {
      seenConfig = config;
      binder.bindFunction(counter);
      binder.bindEgress("shop/out", {
        deliver(records) {
          delivered.push([...records]);
        },
      });
      binder.bindIngress("shop/in", {
        start(e) {
          emit = e;
        },
        stop() {
          ingressStopped = true;
        },
      });
      // one record → the keyed counter, and a copy to "all" for records with key
      binder.bindIngressRouter("shop/in", (record) =>
        record.key === undefined
          ? []
          : [
              { target: address("shop/counter", record.key), argument: record.value },
              { target: address("shop/counter", "all"), argument: record.value },
            ],
      );
    });
    assert.equal(isEddyModule(module), true);

    const runtime = new Runtime({ logger: silentLogger(), globalConfiguration: { region: "eu" } });
    runtime.bindModule(module);
    assert.deepEqual(seenConfig, { region: "eu" });
    await runtime.start();
    assert.ok(emit !== undefined, "the ingress was started with an emit function");

    await emit({ ingress: "shop/in", key: "alice", value: str("apple") });
    await emit({ ingress: "shop/in", key: "bob", value: str("pear") });
    await emit({ ingress: "shop/in", key: "alice", value: str("plum") });
    await emit({ ingress: "shop/in", key: undefined, value: str("dropped") });
    await runtime.idle();

    const lines = delivered.flat().map(textOf);
    assert.deepEqual(lines.filter((l) => l.startsWith("alice")), ["alice apple #1", "alice plum #2"]);
    assert.deepEqual(lines.filter((l) => l.startsWith("bob")), ["bob pear #1"]);
    assert.deepEqual(lines.filter((l) => l.startsWith("all")), ["all apple #1", "all pear #2", "all plum #3"]);
    assert.equal(lines.length, 6);
    assert.ok(delivered.flat().every((r) => r.typename === Types.string.typename));

    assert.deepEqual(await runtime.stop(), { drained: true, pending: 0 });
    assert.equal(ingressStopped, true);
  });

  it("rejects an emitted record when the ingress has no router", async () => {
    let emit: ((record: IngressRecord) => Promise<void>) | undefined;
    const runtime = new Runtime({ logger: silentLogger() });
    runtime.bindModule(
      defineModule((binder) => {
        binder.bindIngress("shop/unrouted", { start: (e) => void (emit = e), stop: () => {} });
      }),
    );
    await runtime.start();
    await assert.rejects(emit!({ ingress: "shop/unrouted", key: "k", value: str("x") }), (e: unknown) =>
      isEddyError(e, "EDDY_CONFIG_INVALID"),
    );
    await runtime.stop();
  });

  it("rejects a routed message to an unbound function at emit time", async () => {
    let emit: ((record: IngressRecord) => Promise<void>) | undefined;
    const runtime = new Runtime({ logger: silentLogger() });
    runtime.bindModule(
      defineModule((binder) => {
        binder.bindIngress("shop/in", { start: (e) => void (emit = e), stop: () => {} });
        binder.bindIngressRouter("shop/in", (r) => [{ target: address("nobody/home", r.key ?? ""), argument: r.value }]);
      }),
    );
    await runtime.start();
    await assert.rejects(emit!({ ingress: "shop/in", key: "k", value: str("x") }), (e: unknown) =>
      isEddyError(e, "EDDY_UNKNOWN_FUNCTION"),
    );
    await runtime.stop();
  });

  it("refuses something that is not a module, and duplicate egress ids", () => {
    const runtime = new Runtime({ logger: silentLogger() });
    assert.throws(
      () => runtime.bindModule({ configure() {} } as unknown as EddyModule),
      (e: unknown) => isEddyError(e, "EDDY_CONFIG_INVALID"),
    );
    assert.throws(
      () =>
        runtime.bindModule(
          defineModule((binder) => {
            binder.bindEgress("shop/out", { deliver() {} });
            binder.bindEgress("shop/out", { deliver() {} });
          }),
        ),
      /egress "shop\/out" is bound twice/,
    );
  });
});
