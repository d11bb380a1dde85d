import { formatAddress, isValidTypeName } from "@eddy/sdk";
import type { Address } from "@eddy/sdk";
import type { Runtime } from "../runtime/runtime.js";
import { AdminHttpError } from "./admin-route.js";
import type { AdminServer } from "./admin-server.js";
import { errorResponse, jsonResponse } from "./admin-schemas.js";
import { addressFromParams } from "./address-path.js";
import { quarantineView } from "./quarantine-view.js";
import { typedPreview } from "./typed-preview.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** `GET /v1/addresses/{namespace}/{type}/{id}` (live state of one address) and `GET /v1/addresses` (addresses with state, paged). */
export function registerAddressRoutes(admin: AdminServer, runtime: Runtime): void {
  admin.route({
    method: "GET",
    path: "/v1/addresses/{namespace}/{type}/{id}",
    doc: {
      summary: "The live state of one address, without invoking it: state values, backlog, pending timers, quarantine",
      description: "Percent-encode an id that contains \"/\". 404 for an address that has never had state or messages.",
      tags: ["addresses"],
      responses: {
        "200": jsonResponse("the address", "Address"),
        "400": errorResponse("malformed address (EDDY_INVALID_ADDRESS), naming the part that is wrong"),
        "404": errorResponse("no state, messages, timers or quarantine for this address (EDDY_ADDRESS_NOT_FOUND)"),
        "421": errorResponse("cluster mode: another worker holds the address's partition (EDDY_PARTITION_NOT_HERE); ask that worker"),
        "503": errorResponse("cluster mode: this worker is still restoring the address's partition (EDDY_PARTITION_NOT_HERE, retryable)"),
      },
    },
    handle: (req) => {
      const target = addressFromParams(req.params);
      const stored = runtime.inspectState(target);
      const activity = runtime.addressActivity(target);
      if (stored.length === 0 && activity.backlog === 0 && activity.timers.length === 0 && activity.quarantine === undefined) {
        throw new AdminHttpError(404, "EDDY_ADDRESS_NOT_FOUND", `${formatAddress(target)} has no state, no messages, no timers and is not parked`);
      }
      const state: Record<string, unknown> = {};
      for (const v of stored) {
        state[v.name] = { ...typedPreview(v.typename, v.value), expiresAt: v.expiresAt === 0 ? null : new Date(v.expiresAt).toISOString() };
      }
      return {
        json: {
          address: formatAddress(target),
          functionType: target.type,
          id: target.id,
          state,
          backlog: activity.backlog,
          timers: activity.timers.map((t) => ({
            dueAt: new Date(t.dueAt).toISOString(),
            cancellationToken: t.cancellationToken === "" ? null : t.cancellationToken,
            target: formatAddress(t.envelope.target),
            message: typedPreview(t.envelope.argument.typename, t.envelope.argument.value, 4096),
          })),
          quarantine: activity.quarantine === undefined ? null : quarantineView(activity.quarantine, activity.waiting),
        },
      };
    },
  });

  admin.route({
    method: "GET",
    path: "/v1/addresses",
    doc: {
      summary: "Addresses that hold state, ordered by function type then id, a page at a time",
      description: "In the cluster mode, those of the partitions this worker holds (listed in `partitions`); the other workers hold the rest.",
      tags: ["addresses"],
      parameters: [
        { name: "function_type", in: "query", required: false, schema: { type: "string" }, description: "only this function type, namespace/name" },
        { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
        { name: "cursor", in: "query", required: false, schema: { type: "string" }, description: "nextCursor of the previous page" },
      ],
      responses: { "200": jsonResponse("a page of addresses", "AddressList"), "400": errorResponse("a bad query parameter (EDDY_ADMIN_BAD_REQUEST), named") },
    },
    handle: (req) => {
      const functionType = req.query.get("function_type") ?? undefined;
      if (functionType !== undefined && !isValidTypeName(functionType)) {
        throw new AdminHttpError(400, "EDDY_ADMIN_BAD_REQUEST", `function_type "${functionType}" is not namespace/name`);
      }
      const limitText = req.query.get("limit");
      const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        throw new AdminHttpError(400, "EDDY_ADMIN_BAD_REQUEST", `limit "${limitText}" must be an integer from 1 to ${MAX_LIMIT}`);
      }
      const cursorText = req.query.get("cursor");
      const after = cursorText === null || cursorText === "" ? undefined : decodeCursor(cursorText);
      const page = runtime.addressesWithState({ ...(functionType === undefined ? {} : { functionType }), ...(after === undefined ? {} : { after }), limit: limit + 1 });
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return {
        json: {
          items: items.map((a) => ({ address: formatAddress(a), functionType: a.type, id: a.id })),
          nextCursor: page.length > limit && last !== undefined ? encodeCursor(last) : null,
          partitions: { held: runtime.heldPartitions(), of: runtime.partitionCount },
        },
      };
    },
  });
}

function encodeCursor(a: Address): string {
  return Buffer.from(JSON.stringify([a.type, a.id])).toString("base64url");
}

function decodeCursor(text: string): Address {
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
      return { type: parsed[0], id: parsed[1] };
    }
  } catch {
    // Reported below.
  }
  throw new AdminHttpError(400, "EDDY_ADMIN_BAD_REQUEST", `cursor "${text}" is not a cursor this API returned (use nextCursor of the previous page)`);
}
