import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AdminServer, silentLogger } from "@eddy/runtime";

/** An admin server whose routes each answer with their own path pattern, registered in the given order. */
async function serverWith(paths: readonly string[]): Promise<AdminServer> {
  const admin = new AdminServer({ port: 0, logger: silentLogger() });
  for (const path of paths) {
    admin.route({ method: "GET", path, doc: { summary: path, responses: { "200": { description: "ok" } } }, handle: (req) => ({ json: { route: path, params: req.params } }) });
  }
  await admin.start();
  return admin;
}

async function answeredBy(admin: AdminServer, path: string): Promise<{ route: string; params: Record<string, string> }> {
  const res = await fetch(`${admin.url}${path}`);
  assert.equal(res.status, 200, `${path} answered ${res.status}`);
  return (await res.json()) as { route: string; params: Record<string, string> };
}

// Regression: routes were ranked by a number that grew with the path's length, so a longer route of
// parameters beat a shorter one with a literal segment, and `/ui/{asset*}` beat `/ui` for "/ui".
describe("admin routes: literal segments beat parameters beat rest parameters", () => {
  for (const order of ["as listed", "reversed"] as const) {
    it(`picks the most specific route at the first segment that differs (registered ${order})`, async () => {
      const paths = ["/a/{p}/{q}/{r}", "/a/b/{rest*}", "/a/b/c/{s}", "/ui", "/ui/{asset*}", "/ui/app.js"];
      const admin = await serverWith(order === "as listed" ? paths : [...paths].reverse());
      try {
        assert.deepEqual(await answeredBy(admin, "/a/b/x/y"), { route: "/a/b/{rest*}", params: { rest: "x/y" } });
        assert.deepEqual(await answeredBy(admin, "/a/b/c/d"), { route: "/a/b/c/{s}", params: { s: "d" } });
        assert.deepEqual(await answeredBy(admin, "/a/z/c/d"), { route: "/a/{p}/{q}/{r}", params: { p: "z", q: "c", r: "d" } });
        assert.equal((await answeredBy(admin, "/ui")).route, "/ui");
        assert.equal((await answeredBy(admin, "/ui/app.js")).route, "/ui/app.js");
        assert.deepEqual(await answeredBy(admin, "/ui/"), { route: "/ui/{asset*}", params: { asset: "" } });
        assert.deepEqual(await answeredBy(admin, "/ui/css/x.css"), { route: "/ui/{asset*}", params: { asset: "css/x.css" } });
        const none = await fetch(`${admin.url}/a/b`);
        assert.equal(none.status, 404, "a rest parameter takes at least one segment");
      } finally {
        await admin.stop();
      }
    });
  }
});
