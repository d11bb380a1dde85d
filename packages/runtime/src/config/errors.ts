// A module.yaml that fails validation yields one error listing every problem,
// so a user fixes the file in one pass instead of one restart per mistake.

import { EddyError } from "@eddy/sdk";

/** One thing wrong with a module file, pinned to the node that is wrong. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Key path inside the document, e.g. `spec.topics[0].targets[1]`; empty for the document itself. */
  readonly path: string;
  /** What rule was broken, phrased for the person editing the file. */
  readonly rule: string;
}

/** `file:line:column path: rule`, the shape editors and terminals turn into links. */
export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.path === "" ? `${where} ${problem.rule}` : `${where} ${problem.path}: ${problem.rule}`;
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const [first] = problems;
  if (first === undefined) return "module file is invalid";
  if (problems.length === 1) return formatProblem(first);
  const lines = problems.map((p) => `  ${formatProblem(p)}`);
  return [`${first.file} has ${problems.length} problems:`, ...lines].join("\n");
}

/**
 * Thrown when a module file cannot be read as a valid module. The top-level
 * `file`/`line`/`column`/`path`/`rule` describe the first problem; `problems`
 * holds all of them, in file order. Never retryable: the file must be edited.
 */
export class ModuleConfigError extends EddyError {
  declare readonly code: "EDDY_CONFIG_INVALID";
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly rule: string;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly [ConfigProblem, ...ConfigProblem[]], options: { cause?: unknown } = {}) {
    super("EDDY_CONFIG_INVALID", formatProblems(problems), options.cause === undefined ? {} : { cause: options.cause });
    this.name = "ModuleConfigError";
    const [first] = problems;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.path = first.path;
    this.rule = first.rule;
    this.problems = problems;
  }
}
