/**
 * JSON Schemas of the admin API's answers (OpenAPI `components.schemas`).
 * These shapes are a public contract (the web console and `eddy` CLI read
 * them): add fields, never rename or remove one.
 */
export const ADMIN_SCHEMAS: Readonly<Record<string, unknown>> = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", description: "stable code from docs/errors.md, e.g. EDDY_ADDRESS_NOT_FOUND" },
          message: { type: "string", description: "what is wrong and what to do" },
        },
      },
    },
  },
  Health: {
    type: "object",
    required: ["status"],
    properties: { status: { const: "alive" }, uptimeSeconds: { type: "number" } },
  },
  Ready: {
    type: "object",
    required: ["ready"],
    properties: { ready: { const: true }, status: { type: "string" } },
  },
  TypedPreview: {
    type: "object",
    description: "A typed value as JSON: decoded for built-in types (io.statefun.types/*) and JSON types, base64 otherwise",
    required: ["typename", "encoding", "size"],
    properties: {
      typename: { type: "string" },
      encoding: { enum: ["json", "base64"], description: "json: `value` is the decoded value; base64: `value` is the bytes in base64" },
      value: {},
      size: { type: "integer", description: "bytes of the encoded value" },
      truncated: { const: true, description: "present when a base64 preview shows only the first 4 KiB" },
    },
  },
  StateValue: {
    allOf: [
      { $ref: "#/components/schemas/TypedPreview" },
      {
        type: "object",
        properties: { expiresAt: { type: ["string", "null"], format: "date-time", description: "when a TTL makes the value read as absent; null without TTL" } },
      },
    ],
  },
  Timer: {
    type: "object",
    required: ["dueAt", "target", "message"],
    properties: {
      dueAt: { type: "string", format: "date-time" },
      cancellationToken: { type: ["string", "null"] },
      target: { type: "string", description: "namespace/type/id the delayed message goes to" },
      message: { $ref: "#/components/schemas/TypedPreview" },
    },
  },
  QuarantinedMessage: {
    allOf: [
      { $ref: "#/components/schemas/TypedPreview" },
      { type: "object", properties: { caller: { type: ["string", "null"], description: "namespace/type/id of the sending function; null from an ingress" } } },
    ],
  },
  Quarantine: {
    type: "object",
    required: ["address", "functionType", "id", "message", "error", "attempts", "firstFailureAt", "lastFailureAt", "waiting"],
    properties: {
      address: { type: "string", description: "namespace/type/id" },
      functionType: { type: "string" },
      id: { type: "string" },
      message: { $ref: "#/components/schemas/QuarantinedMessage" },
      error: {
        type: "object",
        required: ["code", "message", "retryable"],
        properties: { code: { type: "string" }, message: { type: "string" }, retryable: { type: "boolean" } },
      },
      attempts: { type: "integer" },
      firstFailureAt: { type: "string", format: "date-time" },
      lastFailureAt: { type: "string", format: "date-time" },
      waiting: { type: "integer", description: "messages for this address queued behind the parked one" },
    },
  },
  Address: {
    type: "object",
    required: ["address", "functionType", "id", "state", "backlog", "timers", "quarantine"],
    properties: {
      address: { type: "string", description: "namespace/type/id" },
      functionType: { type: "string" },
      id: { type: "string" },
      state: { type: "object", additionalProperties: { $ref: "#/components/schemas/StateValue" } },
      backlog: { type: "integer", description: "messages accepted for this address and not yet processed (including a parked one)" },
      timers: { type: "array", items: { $ref: "#/components/schemas/Timer" }, description: "delayed messages this address sent that are still pending" },
      quarantine: { oneOf: [{ type: "null" }, { $ref: "#/components/schemas/Quarantine" }] },
    },
  },
  AddressList: {
    type: "object",
    required: ["items", "nextCursor", "partitions"],
    properties: {
      items: {
        type: "array",
        items: {
          type: "object",
          required: ["address", "functionType", "id"],
          properties: { address: { type: "string" }, functionType: { type: "string" }, id: { type: "string" } },
        },
      },
      nextCursor: { type: ["string", "null"], description: "pass as `cursor` for the next page; null on the last page" },
      partitions: {
        type: "object",
        description: "the partitions listed: all of them in the embedded mode, this worker's in the cluster mode",
        required: ["held", "of"],
        properties: { held: { type: "array", items: { type: "integer" } }, of: { type: "integer" } },
      },
    },
  },
  QuarantineList: {
    type: "object",
    required: ["items"],
    properties: { items: { type: "array", items: { $ref: "#/components/schemas/Quarantine" } } },
  },
  QuarantineAction: {
    type: "object",
    required: ["address", "action", "message"],
    properties: {
      address: { type: "string" },
      action: { enum: ["retried", "dropped"] },
      message: { $ref: "#/components/schemas/QuarantinedMessage" },
    },
  },
};

/** An OpenAPI response that answers a schema of ADMIN_SCHEMAS as JSON. */
export function jsonResponse(description: string, schema: string): unknown {
  return { description, content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } } };
}

/** An OpenAPI error response (the shared Error schema). */
export function errorResponse(description: string): unknown {
  return jsonResponse(description, "Error");
}
