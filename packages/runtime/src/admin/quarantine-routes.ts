import { formatAddress } from "@eddy/sdk";
import type { Runtime } from "../runtime/runtime.js";
import type { QuarantineRecord } from "../model/quarantine-record.js";
import { AdminHttpError } from "./admin-route.js";
import type { AdminRequest } from "./admin-route.js";
import type { AdminServer } from "./admin-server.js";
import { errorResponse, jsonResponse } from "./admin-schemas.js";
import { addressFromParams } from "./address-path.js";
import { quarantinedMessageView, quarantineView } from "./quarantine-view.js";

/** `GET /v1/quarantine` and `POST /v1/quarantine/{namespace}/{type}/{id}/retry|drop`. */
export function registerQuarantineRoutes(admin: AdminServer, runtime: Runtime): void {
  admin.route({
    method: "GET",
    path: "/v1/quarantine",
    doc: {
      summary: "Every parked address: its failing message, the error, attempts, first and last failure, and how many messages wait behind it",
      tags: ["quarantine"],
      responses: { "200": jsonResponse("the parked addresses, ordered by address", "QuarantineList") },
    },
    handle: () => ({
      json: {
        items: runtime
          .quarantined()
          .map((q) => quarantineView(q.record, q.waiting))
          .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)),
      },
    }),
  });
  const action = (verb: "retry" | "drop", summary: string, act: (req: AdminRequest) => Promise<QuarantineRecord | undefined>) =>
    admin.route({
      method: "POST",
      path: `/v1/quarantine/{namespace}/{type}/{id}/${verb}`,
      doc: {
        summary,
        tags: ["quarantine"],
        responses: {
          "200": jsonResponse("done, and durable", "QuarantineAction"),
          "400": errorResponse("malformed address (EDDY_INVALID_ADDRESS)"),
          "404": errorResponse("the address is not parked (EDDY_NOT_QUARANTINED); repeating a retry or drop answers this"),
          "421": errorResponse("cluster mode: another worker holds the address's partition (EDDY_PARTITION_NOT_HERE); ask that worker"),
          "503": errorResponse("not done for now: a cluster worker's transaction refused in a rebalance (EDDY_SHUTTING_DOWN) or the address's partition still restoring here (EDDY_PARTITION_NOT_HERE), both retryable; the address stays parked, repeat the request after Retry-After"),
        },
      },
      handle: async (req) => {
        const record = await act(req);
        if (record === undefined) {
          throw new AdminHttpError(404, "EDDY_NOT_QUARANTINED", `${formatAddress(addressFromParams(req.params))} is not parked (GET /v1/quarantine lists the parked addresses)`);
        }
        return { json: { address: formatAddress(record.target), action: verb === "retry" ? "retried" : "dropped", message: quarantinedMessageView(record) } };
      },
    });
  action("retry", "Releases the address and retries its parked message with the function as it is now; its waiting messages follow in order", (req) =>
    runtime.retryQuarantined(addressFromParams(req.params)),
  );
  action("drop", "Discards the parked message (the runtime logs its content) and lets the waiting messages proceed", (req) =>
    runtime.dropQuarantined(addressFromParams(req.params)),
  );
}
