import { EddyError } from "@eddy/sdk";
import type { AdminMethod, AdminRoute } from "./admin-route.js";

type Segment = { readonly literal: string } | { readonly param: string; readonly rest: boolean };

interface CompiledRoute {
  readonly route: AdminRoute;
  readonly segments: readonly Segment[];
}

/** What a path matched: a route and its parameters, only other methods, or nothing. */
export type RouteMatch =
  | { readonly kind: "route"; readonly route: AdminRoute; readonly params: Record<string, string> }
  | { readonly kind: "method"; readonly allowed: readonly AdminMethod[] }
  | { readonly kind: "none" }
  | { readonly kind: "bad-encoding"; readonly segment: string };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\*?)\}$/;

function compile(path: string): Segment[] {
  if (!path.startsWith("/")) throw new EddyError("EDDY_CONFIG_INVALID", `admin route path "${path}" must start with "/"`);
  const parts = path.split("/").slice(1);
  return parts.map((part, i) => {
    const m = PARAM.exec(part);
    if (m === null) {
      if (part.includes("{")) throw new EddyError("EDDY_CONFIG_INVALID", `admin route path "${path}": "${part}" is not a {parameter}`);
      return { literal: part };
    }
    const rest = m[2] === "*";
    if (rest && i !== parts.length - 1) {
      throw new EddyError("EDDY_CONFIG_INVALID", `admin route path "${path}": {${m[1]}*} must be the last segment`);
    }
    return { param: m[1]!, rest };
  });
}

/** The admin server's routes, matched by path segments. */
export class RouteTable {
  readonly #routes: CompiledRoute[] = [];

  add(route: AdminRoute): void {
    const segments = compile(route.path);
    if (this.#routes.some((r) => r.route.method === route.method && r.route.path === route.path)) {
      throw new EddyError("EDDY_CONFIG_INVALID", `admin route ${route.method} ${route.path} is registered twice`);
    }
    this.#routes.push({ route, segments });
    // Literal segments win over parameters, so a specific route is never shadowed by a general one.
    this.#routes.sort((a, b) => specificity(b.segments) - specificity(a.segments));
  }

  get routes(): readonly AdminRoute[] {
    return this.#routes.map((r) => r.route);
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split("/").slice(1);
    const allowed: AdminMethod[] = [];
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, parts);
      if (params === undefined) continue;
      if (typeof params === "string") return { kind: "bad-encoding", segment: params };
      if (route.method === method) return { kind: "route", route, params };
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: "method", allowed } : { kind: "none" };
  }
}

function specificity(segments: readonly Segment[]): number {
  let score = 0;
  for (const s of segments) score = score * 3 + ("literal" in s ? 2 : s.rest ? 0 : 1);
  return score * 100 + segments.length;
}

/** The parameters when `parts` match, the undecodable segment when one is malformed, undefined otherwise. */
function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | string | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ("literal" in s) {
      if (parts[i] !== s.literal) return undefined;
      continue;
    }
    const raw = s.rest ? parts.slice(i).join("/") : parts[i];
    if (raw === undefined || (!s.rest && raw === "")) return undefined;
    try {
      params[s.param] = decodeURIComponent(raw);
    } catch {
      return raw;
    }
    if (s.rest) return params;
  }
  return parts.length === segments.length ? params : undefined;
}
