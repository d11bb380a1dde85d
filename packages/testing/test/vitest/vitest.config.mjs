// Vitest runs this folder's *.vitest.ts with the workspace packages from their TypeScript sources.
// (.mjs: vitest needs a default export, which the project's TypeScript lint rules forbid.)
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["eddy-source"] },
  test: { include: ["**/*.vitest.ts"], pool: "threads" },
});
