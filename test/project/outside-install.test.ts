// The packages as a user gets them: `npm run pack`, then in an empty directory outside the
// repository `npm init -y && npm install <repo>/packs/*.tgz`, a function file and a module.yaml,
// `npx eddy run module.yaml`, a message over HTTP and the greeting read from the egress. With and
// without "type": "module", in TypeScript and in JavaScript.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, playgroundModuleYaml } from "../../packages/runtime/test/support/local-servers.js";
import { npm, outsideDir, packTarballs, repoRoot, startEddy } from "./outside-project.js";

const GREETER_TS = `import { defineFunction, jsonType, playgroundEgressMessage, Types } from "@eddy/sdk";

interface GreetRequest {
  readonly who: string;
}
const GreetRequestType = jsonType<GreetRequest>("example/GreetRequest");

export const greeter = defineFunction({
  typename: "example/greeter",
  state: { seen: Types.int },
  accepts: [GreetRequestType],
  fn(ctx, message) {
    const { who }: GreetRequest = message.as(GreetRequestType);
    const seen = (ctx.storage.seen ?? 0) + 1;
    ctx.storage.seen = seen;
    ctx.sendEgress(playgroundEgressMessage({ topic: "greetings", payload: \`Hello \${who} #\${seen}\` }));
  },
});
`;

const GREETER_JS = GREETER_TS.replace(/interface GreetRequest \{[^}]*\}\n/, "")
  .replace("jsonType<GreetRequest>", "jsonType")
  .replace("const { who }: GreetRequest =", "const { who } =");

// The kit's vitest scenario, run by jest as a user's own test against the installed packages: it
// is plain JavaScript but for its vitest import, and jest provides describe, it and expect as globals.
const VITEST_SCENARIO = join(repoRoot, "packages", "testing", "test", "vitest", "greeter.vitest.ts");
function jestScenario(): string {
  const source = readFileSync(VITEST_SCENARIO, "utf8");
  const vitestImport = /^import \{[^}]*\} from "vitest";\n/m;
  assert.match(source, vitestImport, `${VITEST_SCENARIO} imports describe, expect and it from vitest`);
  return source.replace(vitestImport, "").replaceAll("under vitest", "under jest");
}

describe("installed from packs/ into a project outside the repository", () => {
  let dir = "";

  before(() => {
    const tarballs = packTarballs();
    assert.deepEqual(
      tarballs.map((t) => t.split("/").at(-1)).sort(),
      ["eddy-protocol-0.1.0.tgz", "eddy-runtime-0.1.0.tgz", "eddy-sdk-0.1.0.tgz", "eddy-testing-0.1.0.tgz"],
    );
    dir = outsideDir("eddy-outside");
    npm(dir, ["init", "-y"]);
    npm(dir, ["install", ...tarballs]);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("each package has built JS, .d.ts and a README, and no repository-only references", () => {
    for (const name of ["protocol", "sdk", "runtime", "testing"]) {
      const pkg = join(dir, "node_modules", "@eddy", name);
      const manifestText = readFileSync(join(pkg, "package.json"), "utf8");
      assert.doesNotMatch(manifestText, /eddy-source|"file:|"workspace:|devDependencies/, `@eddy/${name} package.json`);
      assert.ok(existsSync(join(pkg, "dist", "index.js")), `@eddy/${name} dist/index.js`);
      assert.ok(existsSync(join(pkg, "dist", "index.d.ts")), `@eddy/${name} dist/index.d.ts`);
      assert.ok(existsSync(join(pkg, "README.md")), `@eddy/${name} README.md`);
      assert.ok(!existsSync(join(pkg, "src")), `@eddy/${name} ships no sources`);
      const manifest = JSON.parse(manifestText) as { engines?: { node?: string } };
      assert.equal(manifest.engines?.node, "^20.19.4 || >=22.18.0");
    }
  });

  it("jest runs a TestRuntime scenario written against the installed packages", () => {
    writeFileSync(join(dir, "counter.jest.test.mjs"), jestScenario());
    const jest = join(repoRoot, "node_modules", "jest", "bin", "jest.js");
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env["NODE_TEST_CONTEXT"];
    delete env["FORCE_COLOR"];
    // The packages are ES modules: jest loads those with node's VM modules (its documented ESM mode).
    const run = spawnSync(
      process.execPath,
      ["--experimental-vm-modules", "--no-warnings", jest, "--rootDir", dir, "--testMatch", "**/*.jest.test.mjs", "--ci"],
      { cwd: dir, encoding: "utf8", env },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /Tests:\s+1 passed, 1 total/);
  });

  for (const variant of [
    { type: "commonjs", file: "greeter.ts" },
    { type: "module", file: "greeter.ts" },
    { type: "commonjs", file: "greeter.js" },
    { type: "module", file: "greeter.js" },
  ]) {
    it(`npx eddy run serves a ${variant.file} function with "type": "${variant.type}"`, async () => {
      const manifestPath = join(dir, "package.json");
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
      writeFileSync(manifestPath, JSON.stringify({ ...manifest, type: variant.type }, null, 2));
      for (const f of ["greeter.ts", "greeter.js"]) rmSync(join(dir, f), { force: true });
      writeFileSync(join(dir, variant.file), variant.file.endsWith(".ts") ? GREETER_TS : GREETER_JS);
      const ingressPort = await freePort();
      const egressPort = await freePort();
      writeFileSync(
        join(dir, "module.yaml"),
        playgroundModuleYaml({ functions: "example/greeter", module: `./${variant.file}`, ingressPort, egressPort, topics: ["greetings"] }),
      );
      const eddy = await startEddy(dir, ["run", "module.yaml", "--in-memory", "--admin-port", "0"]);
      try {
        const put = await fetch(`http://127.0.0.1:${ingressPort}/example/greeter/Bob`, {
          method: "PUT",
          headers: { "Content-Type": "application/vnd.example/GreetRequest" },
          body: JSON.stringify({ who: "Bob" }),
        });
        assert.equal(put.status, 200, await put.text());
        let greeting = "";
        // The egress answers 404 until the greeting is committed; ask until it is there (15 s at most).
        for (const deadline = Date.now() + 15_000; greeting === "" && Date.now() < deadline; ) {
          const got = await fetch(`http://127.0.0.1:${egressPort}/greetings`);
          if (got.status === 200) greeting = await got.text();
          else await got.arrayBuffer();
        }
        assert.equal(greeting, "Hello Bob #1");
      } finally {
        await eddy.stop();
      }
      assert.match(eddy.output().stdout, /"drained":true[^\n]*"msg":"stopped"/, "eddy drained and stopped on SIGTERM");
      assert.doesNotMatch(eddy.output().stderr, /Warning|Error/, "nothing on stderr but what npx itself prints");
    });
  }
});
