import { readdirSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { AdminHttpError } from "./admin-route.js";
import type { AdminServer } from "./admin-server.js";

/** The console's files: plain HTML, CSS and JavaScript, no build step (packages/runtime/console/). */
const CONSOLE_DIR = new URL("../../console/", import.meta.url);
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/**
 * `GET /ui`: the web console (functions with rates and failures, address
 * search, the quarantine with retry and drop, ingresses and egresses). It only
 * calls the admin API of its own origin. Files are read once, at registration;
 * only those files are served, so no request path reaches the file system.
 */
export function registerConsoleRoutes(admin: AdminServer): void {
  const files = new Map<string, { contentType: string; body: Uint8Array }>();
  for (const name of readdirSync(CONSOLE_DIR)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType !== undefined) files.set(name, { contentType, body: readFileSync(new URL(name, CONSOLE_DIR)) });
  }
  const index = files.get("index.html");
  if (index === undefined) throw new Error(`the console's index.html is missing from ${CONSOLE_DIR.pathname}`);
  const security = { "content-security-policy": "default-src 'self'; frame-ancestors 'none'" };
  admin.route({
    method: "GET",
    path: "/ui",
    doc: { summary: "The web console (HTML)", tags: ["console"], responses: { "200": { description: "the console page" } } },
    handle: () => ({ contentType: index.contentType, body: index.body, headers: security }),
  });
  admin.route({
    method: "GET",
    path: "/ui/{asset*}",
    hidden: true,
    doc: { summary: "The console's scripts and styles", responses: { "200": { description: "a file" } } },
    handle: (req) => {
      // "/ui/" asks for the page itself.
      const asset = req.params["asset"] ?? "";
      const file = asset === "" ? index : files.get(asset);
      if (file === undefined) throw new AdminHttpError(404, "EDDY_ADMIN_NOT_FOUND", `the console has no file ${req.path}`);
      return { contentType: file.contentType, body: file.body, headers: security };
    },
  });
}
