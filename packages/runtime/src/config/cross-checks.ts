// Rules that span components: each can only be checked once the whole file
// has been read. Problems point at the second occurrence and name the first,
// because that is the one a user just added.

import type { ConfigNode } from "./config-node.js";
import type { ModuleComponent, SourceLocation } from "./module-config.js";

/** A validated component together with the cursor over its spec, for pointing at keys. */
export interface ParsedComponent {
  readonly component: ModuleComponent;
  readonly spec: ConfigNode;
}

function where(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** Reports every value seen a second time, naming where the first one was. */
class FirstSeen {
  private readonly seen = new Map<string, { readonly location: SourceLocation; readonly kind: string }>();

  /** Returns true (after reporting) when `key` was seen before. */
  check(key: string, node: ConfigNode, kind: string, rule: (first: string) => string): boolean {
    // Empty keys are placeholders for values already reported as missing or invalid.
    if (key === "") return false;
    const first = this.seen.get(key);
    if (first === undefined) {
      this.seen.set(key, { location: node.location, kind });
      return false;
    }
    node.report(rule(`the ${first.kind} at ${where(first.location)}`));
    return true;
  }
}

export function checkAcrossComponents(parsed: readonly ParsedComponent[]): void {
  const bindings = new FirstSeen();
  const ports = new FirstSeen();
  const ingressIds = new FirstSeen();
  const egressIds = new FirstSeen();
  const settings = new FirstSeen();
  const quarantines = new FirstSeen();

  for (const { component, spec } of parsed) {
    switch (component.kind) {
      case "io.statefun.endpoints.v1/http":
      case "io.statefun.endpoints.v2/http":
      case "io.eddy.functions.v1/embedded":
      case "io.eddy.functions.v1/colocated": {
        // StateFun fails at startup on two bindings for one key; a specific type and its namespace may coexist.
        const text = component.spec.functions.text;
        bindings.check(text, spec.child("functions"), component.kind, (first) => `"${text}" is already bound by ${first}`);
        break;
      }
      case "io.statefun.playground.v1/ingress":
      case "io.statefun.playground.v1/egress": {
        // The playground fixes the ids, so a second playground ingress (or egress) is a repeat in itself.
        const { id, port } = component.spec;
        const ids = component.kind === "io.statefun.playground.v1/ingress" ? ingressIds : egressIds;
        const repeated = ids.check(id, spec.child("port"), component.kind, (first) => `"${id}" is already defined by ${first}`);
        if (!repeated && port !== 0) {
          ports.check(String(port), spec.child("port"), component.kind, (first) => `port ${port} is already used by ${first}`);
        }
        break;
      }
      case "io.statefun.kafka.v1/ingress":
      case "io.statefun.kinesis.v1/ingress": {
        const id = component.spec.id;
        ingressIds.check(id, spec.child("id"), component.kind, (first) => `ingress id "${id}" is already used by ${first}`);
        break;
      }
      case "io.statefun.kafka.v1/egress":
      case "io.statefun.kinesis.v1/egress": {
        const id = component.spec.id;
        egressIds.check(id, spec.child("id"), component.kind, (first) => `egress id "${id}" is already used by ${first}`);
        break;
      }
      case "io.eddy.runtime.v1/quarantine": {
        const text = component.spec.functions.text;
        quarantines.check(text, spec.child("functions"), component.kind, (first) => `"${text}" already has a quarantine limit, set by ${first}`);
        break;
      }
      case "io.eddy.runtime.v1/settings":
        settings.check("settings", spec, component.kind, (first) => `only one settings document is allowed; already given by ${first}`);
        break;
    }
  }
}
