import type { AdminServer } from "./admin-server.js";
import { AdminHttpError } from "./admin-route.js";
import { errorResponse, jsonResponse } from "./admin-schemas.js";

/** What the health endpoints ask of the runtime. */
export interface ReadinessSource {
  readonly readiness: { readonly ready: true } | { readonly ready: false; readonly reason: string };
}

/** `GET /healthz` (the process is alive) and `GET /readyz` (recovered, every ingress listening, not draining). */
export function registerHealthRoutes(admin: AdminServer, runtime: ReadinessSource): void {
  const startedAt = performance.now();
  admin.route({
    method: "GET",
    path: "/healthz",
    doc: { summary: "Liveness: 200 while the process is alive", tags: ["health"], responses: { "200": jsonResponse("alive", "Health") } },
    handle: () => ({ json: { status: "alive", uptimeSeconds: Math.round((performance.now() - startedAt) / 1000) } }),
  });
  admin.route({
    method: "GET",
    path: "/readyz",
    doc: {
      summary: "Readiness: 200 once recovery has finished and every ingress listens; 503 with the reason before that and while draining",
      tags: ["health"],
      responses: { "200": jsonResponse("ready to take input", "Ready"), "503": errorResponse("not ready; `error.message` says why (code EDDY_NOT_READY)") },
    },
    handle: () => {
      const readiness = runtime.readiness;
      if (!readiness.ready) throw new AdminHttpError(503, "EDDY_NOT_READY", `not ready: ${readiness.reason}`);
      return { json: { ready: true, status: "ready" } };
    },
  });
}
