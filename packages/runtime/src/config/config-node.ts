// A cursor over one YAML value plus its key path, used by every kind's
// validator. Reads never throw: a bad value is recorded as a problem and a
// placeholder is returned, so one pass finds every mistake in the file. The
// placeholders never escape, because the loader throws when any problem was
// recorded.
//
// Once a node has been reported as wrong (say `spec` is a string), the cursor
// goes "silent": reads below it return placeholders without reporting, so one
// mistake does not produce a cascade of follow-up messages.

import { isMap, isScalar, isSeq } from "yaml";
import type { ConfigProblem } from "./errors.js";
import type { FunctionPattern, SourceLocation, TypeNameString } from "./module-config.js";
import { MAX_DURATION_MS, tryParseDuration } from "./duration.js";
import { checkFunctionPattern, checkTypeName } from "./typenames.js";
import { YamlSource } from "./yaml-source.js";
import type { Position, SourceDocument, ValueNode } from "./yaml-source.js";

/** Shared by all cursors of one file: where problems are collected, and where relative paths start. */
export class ValidationContext {
  readonly problems: ConfigProblem[] = [];

  constructor(
    readonly source: YamlSource,
    /** Directory that relative paths in the file are resolved against. */
    readonly baseDir: string,
  ) {}

  get file(): string {
    return this.source.file;
  }

  report(position: Position, path: string, rule: string): void {
    this.problems.push({ file: this.file, line: position.line, column: position.column, path, rule });
  }

  location(position: Position): SourceLocation {
    return { file: this.file, line: position.line, column: position.column };
  }
}

interface IntegerRule {
  readonly min?: number;
  readonly max?: number;
}

function describe(node: ValueNode): string {
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  const value: unknown = node.value;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function joinPath(parent: string, key: string): string {
  return parent === "" ? key : `${parent}.${key}`;
}

export class ConfigNode {
  private constructor(
    private readonly ctx: ValidationContext,
    private readonly document: SourceDocument["document"],
    /** The value, or null when the key is absent or its value is YAML null. */
    readonly value: ValueNode | null,
    readonly path: string,
    /** The value's position; for an absent key, where the user would add it. */
    readonly position: Position,
    /** Where problems about this node's missing children point: this node's key, or the node itself. */
    private readonly anchor: Position,
    /** True below a node already reported as wrong. */
    private readonly silent: boolean,
    /** Children supplied from elsewhere in the file (the legacy format moves `meta.id` into the spec). */
    private readonly overrides: ReadonlyMap<string, ConfigNode> = new Map(),
  ) {}

  static root(ctx: ValidationContext, doc: SourceDocument): ConfigNode {
    return new ConfigNode(ctx, doc.document, doc.root, "", doc.position, doc.position, false);
  }

  get isPresent(): boolean {
    return this.value !== null;
  }

  /** Where this node is, for component locations and cross-component messages. */
  get location(): SourceLocation {
    return this.ctx.location(this.position);
  }

  /** The value as a message would quote it: `"text"`, `42`, `a map`, `a list`, `empty`. */
  get description(): string {
    return this.value === null ? "empty" : describe(this.value);
  }

  get context(): ValidationContext {
    return this.ctx;
  }

  report(rule: string): void {
    if (!this.silent) this.ctx.report(this.position, this.path, rule);
  }

  private reportRequired(hint?: string): void {
    this.report(hint === undefined ? "is required" : `is required (${hint})`);
  }

  /** A cursor with no value whose reads report nothing; used after a problem was already reported. */
  private silenced(): ConfigNode {
    return new ConfigNode(this.ctx, this.document, null, this.path, this.position, this.anchor, true);
  }

  /** Returns a copy in which `child(key)` yields `node` instead of looking the key up. */
  withChild(key: string, node: ConfigNode): ConfigNode {
    const overrides = new Map(this.overrides).set(key, node);
    return new ConfigNode(this.ctx, this.document, this.value, this.path, this.position, this.anchor, this.silent, overrides);
  }

  has(key: string): boolean {
    return this.child(key).isPresent;
  }

  child(key: string): ConfigNode {
    const override = this.overrides.get(key);
    if (override !== undefined) return override;

    const path = joinPath(this.path, key);
    if (isMap(this.value)) {
      for (const pair of this.value.items) {
        if (!isScalar(pair.key) || String(pair.key.value) !== key) continue;
        const keyPosition = this.ctx.source.positionOfNode(pair.key);
        const value = YamlSource.resolve(pair.value, this.document);
        if (value === null || (isScalar(value) && value.value === null)) {
          return new ConfigNode(this.ctx, this.document, null, path, keyPosition, keyPosition, this.silent);
        }
        return new ConfigNode(this.ctx, this.document, value, path, this.ctx.source.positionOfNode(value), keyPosition, this.silent);
      }
    }
    return new ConfigNode(this.ctx, this.document, null, path, this.anchor, this.anchor, this.silent);
  }

  /** Keys and values of a map, in file order; nothing when this is not a map (check with `map()` first). */
  entries(): Array<[string, ConfigNode]> {
    if (!isMap(this.value)) return [];
    const keys = this.value.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : []));
    return keys.map((key) => [key, this.child(key)]);
  }

  // -------------------------------------------------------------------------
  // Structure

  /** This node if it is a map; otherwise reports and returns a silent cursor. Absent optional maps stay as they are. */
  map(options: { required?: boolean; hint?: string } = {}): ConfigNode {
    if (this.value === null) {
      if (options.required !== true) return this;
      this.reportRequired(options.hint);
      return this.silenced();
    }
    if (!isMap(this.value)) {
      this.report(`must be a map of keys to values, not ${describe(this.value)}`);
      return this.silenced();
    }
    return this;
  }

  /** The items of a list, each with its `[index]` path. An absent optional list is empty. */
  list(options: { required?: boolean; nonEmpty?: boolean; hint?: string } = {}): ConfigNode[] {
    if (this.value === null) {
      if (options.required === true) this.reportRequired(options.hint);
      return [];
    }
    if (!isSeq(this.value)) {
      this.report(`must be a list, not ${describe(this.value)}`);
      return [];
    }
    if (options.nonEmpty === true && this.value.items.length === 0) {
      this.report("must not be an empty list");
    }
    return this.value.items.map((item, index) => {
      const value = YamlSource.resolve(item, this.document);
      const path = `${this.path}[${index}]`;
      const position = value === null ? this.position : this.ctx.source.positionOfNode(value);
      const present = value === null || (isScalar(value) && value.value === null) ? null : value;
      return new ConfigNode(this.ctx, this.document, present, path, position, position, this.silent);
    });
  }

  // -------------------------------------------------------------------------
  // Scalars. Each `required*` read returns a placeholder after reporting.

  optionalString(): string | undefined {
    if (this.value === null) return undefined;
    if (!isScalar(this.value) || typeof this.value.value !== "string") {
      this.report(`must be a string, not ${describe(this.value)}`);
      return undefined;
    }
    if (this.value.value === "") {
      this.report("must not be empty");
      return undefined;
    }
    return this.value.value;
  }

  requiredString(hint?: string): string {
    if (this.value === null) {
      this.reportRequired(hint);
      return "";
    }
    return this.optionalString() ?? "";
  }

  /** A scalar of any type as text, for free-form maps such as Kafka `properties` or `env`. */
  scalarText(): string | undefined {
    if (this.value === null) {
      this.report("needs a value");
      return undefined;
    }
    if (!isScalar(this.value)) {
      this.report(`must be a plain value, not ${describe(this.value)}`);
      return undefined;
    }
    return String(this.value.value);
  }

  optionalInteger(rule: IntegerRule = {}): number | undefined {
    if (this.value === null) return undefined;
    const value: unknown = isScalar(this.value) ? this.value.value : undefined;
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      this.report(`must be a whole number, not ${describe(this.value)}`);
      return undefined;
    }
    if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
      const range =
        rule.max === undefined ? `at least ${rule.min}` : rule.min === undefined ? `at most ${rule.max}` : `between ${rule.min} and ${rule.max}`;
      this.report(`must be ${range}, not ${value}`);
      return undefined;
    }
    return value;
  }

  integer(fallback: number, rule: IntegerRule = {}): number {
    return this.optionalInteger(rule) ?? fallback;
  }

  requiredInteger(rule: IntegerRule = {}, hint?: string): number {
    if (this.value === null) {
      this.reportRequired(hint);
      return 0;
    }
    return this.optionalInteger(rule) ?? 0;
  }

  /** A Flink duration (`10 s`, `2min`, `100`) in milliseconds. */
  optionalDuration(options: { positive?: boolean } = {}): number | undefined {
    if (this.value === null) return undefined;
    const raw: unknown = isScalar(this.value) ? this.value.value : undefined;
    if (typeof raw !== "string" && typeof raw !== "number") {
      this.report(`must be a duration such as "10 s" or "2 min", not ${describe(this.value)}`);
      return undefined;
    }
    const parsed = tryParseDuration(raw);
    if (!parsed.ok) {
      this.report(parsed.rule);
      return undefined;
    }
    if (options.positive === true && parsed.millis <= 0) {
      this.report(`must be longer than 0 ms (got ${JSON.stringify(raw)})`);
      return undefined;
    }
    // Every duration in a module file becomes one timer (or Kafka's int32 transaction.timeout.ms);
    // Node.js fires a longer setTimeout after 1 ms, so a huge timeout would time out at once.
    if (parsed.millis > MAX_DURATION_MS) {
      this.report(`must be at most ${MAX_DURATION_MS} ms (about 24.8 days, the longest timer Node.js can set; got ${JSON.stringify(raw)})`);
      return undefined;
    }
    return parsed.millis;
  }

  duration(fallback: number, options: { positive?: boolean } = {}): number {
    return this.optionalDuration(options) ?? fallback;
  }

  /** One of a fixed set of words; `caseInsensitive` matches StateFun keys it upper/lower-cases itself. */
  choice<T extends string>(
    options: readonly [T, ...T[]],
    fallback: T | undefined,
    settings: { caseInsensitive?: boolean } = {},
  ): T {
    const [first] = options;
    if (this.value === null) {
      if (fallback !== undefined) return fallback;
      this.reportRequired(`one of ${options.join(", ")}`);
      return first;
    }
    const text = this.optionalString();
    if (text === undefined) return fallback ?? first;
    const wanted = settings.caseInsensitive === true ? text.toLowerCase() : text;
    const found = options.find((option) => option === wanted);
    if (found === undefined) {
      this.report(`"${text}" is not one of ${options.join(", ")}`);
      return fallback ?? first;
    }
    return found;
  }

  // -------------------------------------------------------------------------
  // StateFun value rules

  requiredTypeName(hint?: string): TypeNameString {
    const text = this.requiredString(hint);
    if (text === "") return text;
    const checked = checkTypeName(text);
    if (!checked.ok) this.report(checked.rule);
    return text;
  }

  requiredFunctionPattern(): FunctionPattern {
    const text = this.requiredString(`"ns/name" or "ns/*"`);
    const checked = checkFunctionPattern(text);
    if (checked.ok) return checked.value;
    if (text !== "") this.report(checked.rule);
    return { kind: "namespace", text, namespace: "" };
  }

  /** A list of strings, each non-empty. */
  stringList(options: { required?: boolean; nonEmpty?: boolean; hint?: string } = {}): string[] {
    return this.list(options).map((item) => item.requiredString());
  }

  /**
   * StateFun's `properties` form: a list of single-key maps (`- key: value`),
   * values stringified. Later entries win over earlier ones.
   */
  keyValueList(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const item of this.list()) {
      const entries = item.map({ required: true, hint: "a single `key: value` map" }).entries();
      if (item.isPresent && isMap(item.value) && entries.length !== 1) {
        item.report(`each item must be a single \`key: value\` map, this one has ${entries.length} keys`);
        continue;
      }
      for (const [key, value] of entries) {
        const text = value.scalarText();
        if (text !== undefined) result[key] = text;
      }
    }
    return result;
  }

  /** A map of keys to plain values, values stringified (e.g. `env`). */
  stringMap(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [key, value] of this.map().entries()) {
      const text = value.scalarText();
      if (text !== undefined) result[key] = text;
    }
    return result;
  }
}
