import type { AdminRoute } from "./admin-route.js";
import { ADMIN_SCHEMAS, errorResponse } from "./admin-schemas.js";

/** The OpenAPI 3.1 document of the registered routes (served at `GET /openapi.json`). */
export function openApiDocument(routes: readonly AdminRoute[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.hidden === true) continue;
    const path = route.path.replace(/\{([A-Za-z0-9_]+)\*\}/g, "{$1}");
    const params = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\*?\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const { summary, description, tags, parameters, requestBody, responses } = route.doc;
    (paths[path] ??= {})[route.method.toLowerCase()] = {
      summary,
      ...(description === undefined ? {} : { description }),
      ...(tags === undefined ? {} : { tags }),
      parameters: [...params, ...(parameters ?? [])],
      ...(requestBody === undefined ? {} : { requestBody }),
      responses: { ...responses, default: errorResponse("an error: `{ error: { code, message } }`") },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Eddy admin API",
      version,
      description: "Health, readiness, live state inspection and the quarantine of a running Eddy runtime. Errors are `{ \"error\": { \"code\": \"EDDY_…\", \"message\": \"…\" } }` (docs/errors.md).",
    },
    paths,
    components: { schemas: ADMIN_SCHEMAS },
  };
}
