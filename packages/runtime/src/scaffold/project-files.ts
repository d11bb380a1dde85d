/**
 * The files `eddy init` writes: a runnable project with one embedded
 * TypeScript function (typed state and messages), its module.yaml, a test
 * written with @eddy/testing and a README with the three commands.
 */

export interface ProjectDependencies {
  /** Spec per Eddy package: a version, or `file:` a local tarball. */
  readonly eddy: Readonly<Record<"@eddy/protocol" | "@eddy/sdk" | "@eddy/runtime" | "@eddy/testing", string>>;
  /** The tsx version @eddy/runtime uses, for `npm test`. */
  readonly tsx: string;
  /** Node versions Eddy supports (its `engines`). */
  readonly node: string;
}

export function packageJson(name: string, deps: ProjectDependencies): string {
  const manifest = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      start: "eddy run module.yaml",
      test: "node --import tsx --test test/*.test.ts",
    },
    engines: { node: deps.node },
    dependencies: {
      // @eddy/runtime needs @eddy/protocol at the same version; naming it here lets local tarballs satisfy it.
      "@eddy/protocol": deps.eddy["@eddy/protocol"],
      "@eddy/runtime": deps.eddy["@eddy/runtime"],
      "@eddy/sdk": deps.eddy["@eddy/sdk"],
    },
    devDependencies: {
      "@eddy/testing": deps.eddy["@eddy/testing"],
      tsx: deps.tsx,
    },
    // Native and prebuilt-binary packages of the runtime (LMDB, tsx's esbuild) run install scripts.
    allowScripts: { lmdb: true, "msgpackr-extract": true, esbuild: true },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export const MODULE_YAML = `# The greeter as an embedded TypeScript function, behind StateFun's playground
# ingress (PUT a message to port 8090) and egress (GET a topic from port 8091).
kind: io.eddy.functions.v1/embedded
spec:
  functions: example/*
  module: ./src/greeter.ts
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - greetings
`;

export const GREETER_TS = `import { defineFunction, jsonType, playgroundEgressMessage, Types } from "@eddy/sdk";

/** The message this function takes: \`{"name": "..."}\` with Content-Type application/vnd.example/Greet. */
export interface Greet {
  readonly name: string;
}

export const GreetType = jsonType<Greet>("example/Greet", {
  validate: (v): v is Greet => typeof v === "object" && v !== null && typeof (v as Greet).name === "string",
});

/** What the function keeps per address (per name): how often it greeted. */
export const greeterState = {
  visits: Types.int,
};

export const greeter = defineFunction({
  typename: "example/greeter",
  state: greeterState,
  accepts: [GreetType],
  fn(ctx, message) {
    const { name } = message.as(GreetType);
    const visits = (ctx.storage.visits ?? 0) + 1;
    ctx.storage.visits = visits;
    const text = visits === 1 ? \`Hello \${name}!\` : \`Hello again \${name}, visit #\${visits}\`;
    ctx.sendEgress(playgroundEgressMessage({ topic: "greetings", payload: text }));
  },
});
`;

export const GREETER_TEST_TS = `import { test } from "node:test";
import assert from "node:assert/strict";
import { TestRuntime } from "@eddy/testing";
import { GreetType, greeter, greeterState } from "../src/greeter.js";

test("greets a name, then counts the visits", async () => {
  const env = await TestRuntime.start({ functions: [greeter] });
  await env.send("example/greeter/Ada", GreetType, { name: "Ada" });
  await env.send("example/greeter/Ada", GreetType, { name: "Ada" });
  assert.deepEqual(env.playgroundTopic("greetings"), ["Hello Ada!", "Hello again Ada, visit #2"]);
  assert.deepEqual(env.stateOf("example/greeter/Ada", greeterState), { visits: 2 });
  assert.deepEqual(env.stateOf("example/greeter/Grace", greeterState), { visits: undefined });
  await env.stop();
});
`;

export function readme(name: string): string {
  return `# ${name}

Stateful functions on [Eddy](https://github.com/eddy) (Apache Flink Stateful
Functions without Flink), in TypeScript.

\`\`\`bash
npm install     # install Eddy
npm start       # run module.yaml: the greeter behind ports 8090 (in) and 8091 (out)
npm test        # run test/greeter.test.ts with @eddy/testing (in-process, virtual time)
\`\`\`

With \`npm start\` running, in another terminal:

\`\`\`bash
curl -X PUT -H "Content-Type: application/vnd.example/Greet" -d '{"name":"Ada"}' localhost:8090/example/greeter/Ada
curl localhost:8091/greetings     # Hello Ada!
\`\`\`

State is kept in \`.eddy-data/\` beside module.yaml (delete it to start over).

- \`src/greeter.ts\`: the function: typed messages (\`GreetType\`) and state (\`greeterState\`).
- \`module.yaml\`: binds the functions of \`src/greeter.ts\` and the playground ingress and egress.
- \`test/greeter.test.ts\`: a test with \`TestRuntime\` from \`@eddy/testing\`:
  \`send\`, \`stateOf\`, captured egress records, \`advanceTime\` for delayed messages and TTLs.
`;
}

/** For editors; \`npm test\` and \`npm start\` run the TypeScript through tsx, with no build step. */
export const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ["src", "test"],
  },
  null,
  2,
)}\n`;

export const GITIGNORE = `node_modules/
.eddy-data/
`;
