// `eddy init <dir> --from packs/` scaffolds a project outside the repository whose own test passes:
// install from the tarballs, `npm test` in the scaffold, `eddy validate` of its module.yaml.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { npm, outsideDir, packTarballs, packsDir, repoRoot } from "./outside-project.js";

const eddyBin = join(repoRoot, "packages", "runtime", "bin", "eddy.js");

describe("eddy init", () => {
  let dir = "";

  before(() => {
    packTarballs();
    dir = outsideDir("eddy-init");
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("scaffolds a project whose own test passes, installed from the local tarballs", () => {
    // The README's "Start your own project" commands, from the repository root.
    const app = join(dir, "my-app");
    const out = execFileSync("npx", ["--no-install", "eddy", "init", app, "--from", "packs"], { cwd: repoRoot, encoding: "utf8" });
    assert.match(out, /wrote package\.json, module\.yaml, src\/greeter\.ts, test\/greeter\.test\.ts, README\.md/);
    assert.ok(packsDir.startsWith(repoRoot));
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.match(manifest.dependencies["@eddy/runtime"]!, /^file:.*packs\/eddy-runtime-0\.1\.0\.tgz$/);
    assert.match(manifest.devDependencies["@eddy/testing"]!, /^file:.*packs\/eddy-testing-0\.1\.0\.tgz$/);
    assert.match(readFileSync(join(app, "README.md"), "utf8"), /npm install[\s\S]*npm start[\s\S]*npm test/);

    const installed = npm(app, ["install"]);
    assert.doesNotMatch(installed, /EBADENGINE|install-scripts/, "a clean install");
    // Run as a user would: not as a child of this test runner (NODE_TEST_CONTEXT changes its reporter).
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env["NODE_TEST_CONTEXT"];
    const tested = spawnSync("npm", ["test"], { cwd: app, encoding: "utf8", env });
    assert.equal(tested.status, 0, `${tested.stdout}\n${tested.stderr}`);
    assert.match(tested.stdout, /# pass 1\n# fail 0/);

    const validated = spawnSync("npx", ["--no-install", "eddy", "validate", "module.yaml"], { cwd: app, encoding: "utf8" });
    assert.equal(validated.status, 0, validated.stderr);
    assert.match(validated.stdout, /module\.yaml: 3 components, valid/);
  });

  it("without --from, depends on the Eddy packages by version", () => {
    execFileSync(process.execPath, [eddyBin, "init", "by-version"], { cwd: dir, encoding: "utf8" });
    const manifest = JSON.parse(readFileSync(join(dir, "by-version", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.deepEqual(manifest.dependencies, { "@eddy/protocol": "0.1.0", "@eddy/runtime": "0.1.0", "@eddy/sdk": "0.1.0" });
    assert.equal(manifest.devDependencies["@eddy/testing"], "0.1.0");
  });

  it("refuses a directory that is not empty, and a --from folder without the tarballs, writing nothing", () => {
    const busy = join(dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "notes.txt"), "mine");
    const refused = spawnSync(process.execPath, [eddyBin, "init", busy], { encoding: "utf8" });
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr, `eddy: ${busy} is not empty; eddy init writes a new project only into an empty or new directory\n`);
    assert.deepEqual(readdirSync(busy), ["notes.txt"]);

    const noPacks = spawnSync(process.execPath, [eddyBin, "init", join(dir, "fresh"), "--from", busy], { encoding: "utf8" });
    assert.equal(noPacks.status, 1);
    assert.match(noPacks.stderr, /^eddy: --from .*busy: .*eddy-protocol-0\.1\.0\.tgz is missing; run `npm run pack`/);
    assert.ok(!readdirSync(dir).includes("fresh"), "nothing was created");
  });
});
