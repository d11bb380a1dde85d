import type { Command } from "commander";
import { EddyError } from "@eddy/sdk";
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from "../admin/admin-server.js";
import { addressPath, parseAddressText } from "../admin/address-path.js";

const DEFAULT_ADMIN_URL = `http://${DEFAULT_ADMIN_HOST}:${DEFAULT_ADMIN_PORT}`;

interface AdminOptions {
  readonly admin: string;
  readonly json?: boolean;
}

/** Calls the admin API of a running runtime; an error answer becomes an EddyError with its code and message. */
async function call(options: AdminOptions, method: "GET" | "POST", path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${options.admin.replace(/\/$/, "")}${path}`, { method });
  } catch (cause) {
    throw new EddyError("EDDY_ADMIN_FAILED", `cannot reach the admin API at ${options.admin} (${cause instanceof Error ? cause.message : String(cause)}): is eddy run running there? Pass --admin <url> otherwise`, { cause });
  }
  const body = (await res.json()) as { error?: { code: EddyError["code"]; message: string } };
  if (!res.ok) throw new EddyError(body.error?.code ?? "EDDY_ADMIN_FAILED", body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

function address(text: string): string {
  const parsed = parseAddressText(text);
  if (typeof parsed === "string") throw new EddyError("EDDY_INVALID_ADDRESS", parsed);
  return addressPath(parsed);
}

function print(options: AdminOptions, body: unknown, human: () => string): void {
  process.stdout.write(options.json === true ? `${JSON.stringify(body, null, 2)}\n` : human());
}

interface Preview { typename: string; encoding: string; value: unknown; expiresAt?: string | null }
interface Parked {
  address: string;
  message: Preview;
  error: { code: string; message: string };
  attempts: number;
  lastFailureAt: string;
  waiting: number;
}

function shown(p: Preview): string {
  return `${p.encoding === "json" ? JSON.stringify(p.value) : `base64:${String(p.value)}`} (${p.typename})`;
}

function parkedLine(q: Parked): string {
  return `${q.address}  ${q.attempts} attempt(s), ${q.waiting} waiting, last ${q.lastFailureAt}\n  ${q.error.code}: ${q.error.message}\n  message: ${shown(q.message)}\n`;
}

/** `eddy inspect`, `eddy addresses` and `eddy quarantine list|retry|drop`: the admin API from the command line. */
export function registerAdminCommands(program: Command, fail: (error: unknown) => never): void {
  const withAdmin = (c: Command) =>
    c.option("--admin <url>", "admin API of the running runtime", DEFAULT_ADMIN_URL).option("--json", "print the API's JSON answer");
  const run = (action: () => Promise<void>) => action().catch(fail);

  withAdmin(program.command("inspect").description("show an address's state, backlog, timers and quarantine").argument("<address>", "namespace/type/id")).action(
    (text: string, options: AdminOptions) =>
      run(async () => {
        const body = (await call(options, "GET", `/v1/addresses/${address(text)}`)) as {
          address: string;
          state: Record<string, Preview>;
          backlog: number;
          timers: { dueAt: string; target: string }[];
          quarantine: Parked | null;
        };
        print(options, body, () => {
          const lines = [`${body.address}`, `  backlog: ${body.backlog}`];
          for (const [name, v] of Object.entries(body.state)) lines.push(`  state ${name} = ${shown(v)}${v.expiresAt ? `, expires ${v.expiresAt}` : ""}`);
          for (const t of body.timers) lines.push(`  timer at ${t.dueAt} to ${t.target}`);
          lines.push(body.quarantine === null ? "  not parked" : `  PARKED: ${parkedLine(body.quarantine).trimEnd()}`);
          return `${lines.join("\n")}\n`;
        });
      }),
  );

  withAdmin(program.command("addresses").description("list addresses that hold state").option("--function <ns/name>", "only this function type").option("--limit <n>", "page size", "100")).action(
    (options: AdminOptions & { function?: string; limit: string }) =>
      run(async () => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.function !== undefined) query.set("function_type", options.function);
        const body = (await call(options, "GET", `/v1/addresses?${query.toString()}`)) as {
          items: { address: string }[];
          nextCursor: string | null;
          partitions?: { held: number[]; of: number };
        };
        print(options, body, () => {
          const lines = body.items.map((i) => `${i.address}\n`);
          if (body.nextCursor !== null) lines.push("(more: use --json for the cursor)\n");
          // A cluster worker lists only its own partitions' addresses: say so, or the list reads as all there is.
          const p = body.partitions;
          if (p !== undefined && p.held.length < p.of) lines.push(`(this worker holds partitions ${p.held.join(", ") || "none"} of ${p.of}; the other workers list the rest)\n`);
          return lines.join("");
        });
      }),
  );

  const quarantine = program.command("quarantine").description("list parked addresses, retry or drop their parked message");
  withAdmin(quarantine.command("list").description("every parked address")).action((options: AdminOptions) =>
    run(async () => {
      const body = (await call(options, "GET", "/v1/quarantine")) as { items: Parked[] };
      print(options, body, () => (body.items.length === 0 ? "nothing is parked\n" : body.items.map(parkedLine).join("")));
    }),
  );
  for (const verb of ["retry", "drop"] as const) {
    withAdmin(quarantine.command(verb).description(verb === "retry" ? "release an address and retry its parked message" : "discard an address's parked message").argument("<address>", "namespace/type/id")).action(
      (text: string, options: AdminOptions) =>
        run(async () => {
          const body = (await call(options, "POST", `/v1/quarantine/${address(text)}/${verb}`)) as { address: string; action: string };
          print(options, body, () => `${body.address}: ${body.action}\n`);
        }),
    );
  }
}
