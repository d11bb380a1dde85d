// Every `kind` this loader understands, each mapped to the validator of its
// `spec`. The `satisfies` clause makes the compiler reject a kind in the
// ModuleComponent union that has no parser here, and vice versa.

import type { ConfigNode } from "./config-node.js";
import { parseColocatedFunctionsSpec, parseEmbeddedFunctionsSpec, parseQuarantineSpec, parseRuntimeSettingsSpec } from "./eddy-spec.js";
import { parseHttpEndpointSpec } from "./endpoint-spec.js";
import { parseKafkaEgressSpec, parseKafkaIngressSpec } from "./kafka-spec.js";
import { parseKinesisEgressSpec, parseKinesisIngressSpec } from "./kinesis-spec.js";
import type { ComponentKind, ModuleComponent, SourceLocation } from "./module-config.js";
import { parsePlaygroundEgressSpec, parsePlaygroundIngressSpec } from "./playground-spec.js";

type ComponentParsers = {
  readonly [K in ComponentKind]: (spec: ConfigNode, location: SourceLocation) => Extract<ModuleComponent, { kind: K }>;
};

const PARSERS = {
  "io.statefun.endpoints.v1/http": (spec, location) => ({
    kind: "io.statefun.endpoints.v1/http",
    location,
    spec: parseHttpEndpointSpec(spec, 1),
  }),
  "io.statefun.endpoints.v2/http": (spec, location) => ({
    kind: "io.statefun.endpoints.v2/http",
    location,
    spec: parseHttpEndpointSpec(spec, 2),
  }),
  "io.statefun.kafka.v1/ingress": (spec, location) => ({
    kind: "io.statefun.kafka.v1/ingress",
    location,
    spec: parseKafkaIngressSpec(spec),
  }),
  "io.statefun.kafka.v1/egress": (spec, location) => ({
    kind: "io.statefun.kafka.v1/egress",
    location,
    spec: parseKafkaEgressSpec(spec),
  }),
  "io.statefun.kinesis.v1/ingress": (spec, location) => ({
    kind: "io.statefun.kinesis.v1/ingress",
    location,
    spec: parseKinesisIngressSpec(spec),
  }),
  "io.statefun.kinesis.v1/egress": (spec, location) => ({
    kind: "io.statefun.kinesis.v1/egress",
    location,
    spec: parseKinesisEgressSpec(spec),
  }),
  "io.statefun.playground.v1/ingress": (spec, location) => ({
    kind: "io.statefun.playground.v1/ingress",
    location,
    spec: parsePlaygroundIngressSpec(spec),
  }),
  "io.statefun.playground.v1/egress": (spec, location) => ({
    kind: "io.statefun.playground.v1/egress",
    location,
    spec: parsePlaygroundEgressSpec(spec),
  }),
  "io.eddy.functions.v1/embedded": (spec, location) => ({
    kind: "io.eddy.functions.v1/embedded",
    location,
    spec: parseEmbeddedFunctionsSpec(spec),
  }),
  "io.eddy.functions.v1/colocated": (spec, location) => ({
    kind: "io.eddy.functions.v1/colocated",
    location,
    spec: parseColocatedFunctionsSpec(spec),
  }),
  "io.eddy.runtime.v1/quarantine": (spec, location) => ({
    kind: "io.eddy.runtime.v1/quarantine",
    location,
    spec: parseQuarantineSpec(spec),
  }),
  "io.eddy.runtime.v1/settings": (spec, location) => ({
    kind: "io.eddy.runtime.v1/settings",
    location,
    spec: parseRuntimeSettingsSpec(spec),
  }),
} satisfies ComponentParsers;

/** Every supported kind, in the order the docs list them. */
export const KNOWN_KINDS: readonly ComponentKind[] = Object.keys(PARSERS).filter(isKnownKind);

export function isKnownKind(kind: string): kind is ComponentKind {
  return Object.hasOwn(PARSERS, kind);
}

/**
 * Validates `spec` for the given kind. The spec cursor must already be known
 * to be a map (or silenced after reporting that it is not).
 */
export function parseComponent(kind: ComponentKind, spec: ConfigNode, location: SourceLocation): ModuleComponent {
  const parse: ComponentParsers[ComponentKind] = PARSERS[kind];
  return parse(spec, location);
}

/** The message for a `kind` we do not know, naming the ones we do. */
export function unknownKindRule(kind: string): string {
  return `unknown kind "${kind}" (known kinds: ${KNOWN_KINDS.join(", ")})`;
}
