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
    this.#routes.sort((a, b) => bySpecificity(a.segments, b.segments));
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

/** Literal beats parameter beats rest, compared segment by segment from the left; length never decides. */
const RANK = { literal: 0, param: 1, rest: 2, end: 3 } as const;

function rankAt(segments: readonly Segment[], i: number): number {
  const s = segments[i];
  if (s === undefined) return RANK.end;
  return "literal" in s ? RANK.literal : s.rest ? RANK.rest : RANK.param;
}

/**
 * Orders routes so that the first one matching a path is the most specific:
 * at the first segment where two routes differ in kind, the literal one wins
 * over a `{param}`, and a `{param}` over a `{rest*}`. (Two routes that both
 * match a path cannot differ only by one ending earlier: a rest parameter
 * takes at least one segment.)
 */
function bySpecificity(a: readonly Segment[], b: readonly Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = rankAt(a, i) - rankAt(b, i);
    if (d !== 0) return d;
  }
  return 0;
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
    // A parameter takes one segment, a rest parameter one or more; an empty one too ("/ui/", an
    // address with an empty id), so that the handler can say what is wrong with it.
    if (i >= parts.length) return undefined;
    const raw = s.rest ? parts.slice(i).join("/") : parts[i]!;
    try {
      params[s.param] = decodeURIComponent(raw);
    } catch {
      return raw;
    }
    if (s.rest) return params;
  }
  return parts.length === segments.length ? params : undefined;
}
