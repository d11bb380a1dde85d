// The StateFun 3.0 layout, still accepted by every 3.x release: one document
//
//   version: "3.0"
//   module:
//     meta: { type: remote }
//     spec:
//       endpoints: [- endpoint: { meta: { kind: http }, spec: {...} }]
//       ingresses: [- ingress:  { meta: { type: <kind>, id: ns/name }, spec: {...} }]
//       egresses:  [- egress:   { meta: { type: <kind>, id: ns/name }, spec: {...} }]
//
// Each entry becomes an ordinary {kind, spec} component, with the ingress or
// egress `meta.id` moved into the spec as `id` (what StateFun's
// LegacyRemoteModuleV30 does), so the per-kind validators need no legacy code.

import { isScalar } from "yaml";
import type { ConfigNode } from "./config-node.js";

/** Old kind names and the kinds they mean today; any other name is taken as written. */
const LEGACY_KINDS: ReadonlyMap<string, string> = new Map([
  ["http", "io.statefun.endpoints.v1/http"],
  ["io.statefun.kafka/ingress", "io.statefun.kafka.v1/ingress"],
  ["io.statefun.kafka/egress", "io.statefun.kafka.v1/egress"],
  ["io.statefun.kinesis/ingress", "io.statefun.kinesis.v1/ingress"],
  ["io.statefun.kinesis/egress", "io.statefun.kinesis.v1/egress"],
]);

/** A component found in the file, before its spec is validated. */
export interface RawComponent {
  /** The canonical kind name, or "" when it was missing (already reported). */
  readonly kind: string;
  /** Where a problem with the kind is reported. */
  readonly kindNode: ConfigNode;
  readonly spec: ConfigNode;
  /** The node the component starts at. */
  readonly start: ConfigNode;
}

/** StateFun treats a single document with a `version` key as the legacy format. */
export function isLegacyDocument(root: ConfigNode): boolean {
  return root.has("version");
}

export function legacyComponents(root: ConfigNode): RawComponent[] {
  if (!checkVersion(root.child("version"))) return [];

  const module = root.child("module").map({ required: true, hint: "the legacy format keeps everything under module" });
  const moduleType = module.child("meta").map({ required: true }).child("type");
  const typeText = moduleType.requiredString("remote");
  if (typeText !== "" && typeText.toLowerCase() !== "remote") {
    moduleType.report(`unknown module type "${typeText}" (only remote is supported)`);
  }

  const spec = module.child("spec").map({ required: true, hint: "with endpoints, ingresses and egresses" });
  return [
    ...spec.child("endpoints").list().map((item) => legacyEntry(item, "endpoint", "kind")),
    ...spec.child("ingresses").list().map((item) => legacyEntry(item, "ingress", "type")),
    ...spec.child("egresses").list().map((item) => legacyEntry(item, "egress", "type")),
  ];
}

function checkVersion(node: ConfigNode): boolean {
  const raw: unknown = isScalar(node.value) ? node.value.value : undefined;
  // YAML reads an unquoted 3.0 as the number 3; accept both spellings of the one legacy version.
  if (raw === "3.0" || raw === 3) return true;

  const text = typeof raw === "string" || typeof raw === "number" ? String(raw) : node.description;
  const number = Number.parseFloat(text);
  if (Number.isFinite(number) && number < 3) {
    node.report(`format version ${text} is no longer supported; use version "3.0" or, better, {kind, spec} documents (StateFun 3.1+)`);
  } else {
    node.report(`unknown format version ${text}: the single-document format only exists as version "3.0"; use {kind, spec} documents`);
  }
  return false;
}

function legacyEntry(item: ConfigNode, wrapper: "endpoint" | "ingress" | "egress", kindKey: "kind" | "type"): RawComponent {
  const entry = item.map({ required: true }).child(wrapper).map({ required: true, hint: `{meta, spec}` });
  const meta = entry.child("meta").map({ required: true });
  const kindNode = meta.child(kindKey);
  const otherKey = kindKey === "kind" ? "type" : "kind";
  // StateFun reads endpoints' meta.kind but ingresses' and egresses' meta.type; the mix-up is common.
  const hint = meta.has(otherKey) ? `a legacy ${wrapper} names its kind with meta.${kindKey}, not meta.${otherKey}` : undefined;
  const legacyKind = kindNode.requiredString(hint);
  const kind = legacyKind === "" ? "" : (LEGACY_KINDS.get(legacyKind) ?? legacyKind);

  let spec = entry.child("spec").map({ required: true });
  if (wrapper !== "endpoint") {
    spec = spec.withChild("id", meta.child("id"));
  }
  return { kind, kindNode, spec, start: item };
}
