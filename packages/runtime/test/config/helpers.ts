// Shared by the config tests: build YAML line by line (so line numbers in
// assertions can be read off the array) and pull out the parts under test.

import assert from "node:assert/strict";
import { ModuleConfigError, parseModuleYaml } from "../../src/config/index.js";
import type { ConfigProblem, ModuleComponent, ModuleConfig } from "../../src/config/index.js";

/** Joins lines into YAML text; line N of the file is element N-1. */
export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

export function parse(text: string, file = "module.yaml"): ModuleConfig {
  return parseModuleYaml(text, file, { baseDir: "/srv/app" });
}

/** Parses a file that must hold exactly one component of the given kind. */
export function parseOnly<K extends ModuleComponent["kind"]>(kind: K, text: string): Extract<ModuleComponent, { kind: K }> {
  const { components } = parse(text);
  assert.equal(components.length, 1);
  const [component] = components;
  assert.ok(component !== undefined && component.kind === kind, `expected one ${kind}`);
  return component as Extract<ModuleComponent, { kind: K }>;
}

/** The error a file must fail with. */
export function parseError(text: string, file = "module.yaml"): ModuleConfigError {
  try {
    parse(text, file);
  } catch (error) {
    assert.ok(error instanceof ModuleConfigError, `expected ModuleConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the module file to be rejected");
}

/** Each problem as its one-line message, for compact assertions. */
export function problemLines(text: string): string[] {
  return parseError(text).problems.map((p: ConfigProblem) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.rule}`);
}
