// Entry points: text or file in, validated ModuleConfig out, or one
// ModuleConfigError that lists every problem found.

import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isKnownKind, parseComponent, unknownKindRule } from "./component-kinds.js";
import { ConfigNode, ValidationContext } from "./config-node.js";
import { checkAcrossComponents } from "./cross-checks.js";
import type { ParsedComponent } from "./cross-checks.js";
import { ModuleConfigError } from "./errors.js";
import type { ConfigProblem } from "./errors.js";
import { isLegacyDocument, legacyComponents } from "./legacy-format.js";
import type { RawComponent } from "./legacy-format.js";
import type { ModuleConfig } from "./module-config.js";
import { YamlSource } from "./yaml-source.js";

export interface ParseModuleOptions {
  /** Directory that relative paths in the file resolve against; defaults to the directory of `fileName`. */
  readonly baseDir?: string;
}

/**
 * Parses and validates module.yaml text. `fileName` is used in messages and,
 * unless `options.baseDir` is given, to resolve relative paths in the file.
 *
 * @throws ModuleConfigError listing every problem (YAML syntax, unknown kinds,
 *   missing or invalid keys, duplicate bindings, port clashes).
 * @example
 * const config = parseModuleYaml(text, "module.yaml");
 * for (const component of config.components) if (component.kind === "io.statefun.endpoints.v2/http") { … }
 */
export function parseModuleYaml(text: string, fileName: string, options: ParseModuleOptions = {}): ModuleConfig {
  const source = new YamlSource(fileName, text);
  // Validating a syntactically broken file would mostly report echoes of the syntax error.
  throwIfAny(source.syntaxProblems);

  const context = new ValidationContext(source, options.baseDir ?? dirname(resolve(fileName)));
  const parsed: ParsedComponent[] = [];
  for (const raw of findComponents(context)) {
    if (raw.kind === "") continue;
    if (!isKnownKind(raw.kind)) {
      raw.kindNode.report(unknownKindRule(raw.kind));
      continue;
    }
    const component = parseComponent(raw.kind, raw.spec, raw.start.location);
    parsed.push({ component, spec: raw.spec });
  }
  checkAcrossComponents(parsed);

  if (parsed.length === 0 && context.problems.length === 0) {
    context.report({ line: 1, column: 1 }, "", "defines no components (expected at least one document with kind and spec)");
  }
  throwIfAny(context.problems);
  return { file: fileName, components: parsed.map((p) => p.component) };
}

/**
 * Reads and validates a module file. Relative paths inside it (an embedded
 * `module`, a colocated `cwd`, TLS files) resolve against the file's directory.
 *
 * @throws ModuleConfigError when the file is invalid; the fs error (e.g. ENOENT) when it cannot be read.
 */
export async function loadModuleFile(path: string): Promise<ModuleConfig> {
  const text = await readFile(path, "utf8");
  return parseModuleYaml(text, path, { baseDir: dirname(resolve(path)) });
}

function findComponents(context: ValidationContext): RawComponent[] {
  const roots = context.source.documents.map((doc) => ConfigNode.root(context, doc));
  const [only] = roots;
  if (roots.length === 1 && only !== undefined && isLegacyDocument(only)) return legacyComponents(only);

  return roots.map((root) => {
    const document = root.map();
    const kindNode = document.child("kind");
    const hint = document.has("version") ? "a `version` key only belongs in a single-document legacy file" : "every document needs kind and spec";
    const kind = kindNode.requiredString(hint);
    const spec = document.child("spec").map({ required: true, hint: "every document needs kind and spec" });
    return { kind, kindNode, spec, start: root };
  });
}

function throwIfAny(problems: readonly ConfigProblem[]): void {
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  const [first, ...rest] = sorted;
  if (first !== undefined) throw new ModuleConfigError([first, ...rest]);
}
