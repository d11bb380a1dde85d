// Vitest runs this folder's *.vitest.ts with the workspace packages from their TypeScript sources,
// so it needs no build, like the rest of npm test. Vitest resolves test code as server-side code,
// which takes its conditions from ssr.resolve, not resolve.
// (.mjs: vitest needs a default export, which the project's TypeScript lint rules forbid.)
import { defineConfig } from "vitest/config";

const conditions = ["eddy-source", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: { include: ["**/*.vitest.ts"], pool: "threads" },
});
