// Parses the YAML text while keeping every node's offset, so validation
// problems can name the exact line and column a user has to edit.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from "yaml";
import type { ConfigProblem } from "./errors.js";

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** A node after alias resolution: what a YAML value can actually be. */
export type ValueNode = Scalar | YAMLMap | YAMLSeq;

/** One non-empty YAML document of the file. */
export interface SourceDocument {
  readonly document: Document.Parsed;
  readonly root: ValueNode;
  /** Where the document's content starts (the first key of a block map). */
  readonly position: Position;
}

export class YamlSource {
  readonly documents: readonly SourceDocument[];
  /** YAML syntax errors (bad indentation, duplicate keys, …) as located problems. */
  readonly syntaxProblems: readonly ConfigProblem[];
  private readonly lineCounter: LineCounter;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.lineCounter = new LineCounter();
    // prettyErrors would append a code excerpt to each message; we report positions ourselves.
    const parsed = parseAllDocuments(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
    const documents = Array.isArray(parsed) ? parsed : [];

    const syntaxProblems: ConfigProblem[] = [];
    const nonEmpty: SourceDocument[] = [];
    for (const document of documents) {
      for (const error of document.errors) {
        const { line, column } = this.positionOf(error.pos[0]);
        syntaxProblems.push({ file, line, column, path: "", rule: `YAML syntax error: ${error.message}` });
      }
      const root = YamlSource.resolve(document.contents, document);
      // A `---` with nothing after it is a null document, which StateFun skips.
      if (root === null || (isScalar(root) && root.value === null)) continue;
      nonEmpty.push({ document, root, position: this.positionOfNode(root) });
    }
    this.documents = nonEmpty;
    this.syntaxProblems = syntaxProblems;
  }

  positionOf(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    // LineCounter reports line 0 for offsets before the first newline it has seen.
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  }

  positionOfNode(node: Node): Position {
    return this.positionOf(node.range?.[0] ?? 0);
  }

  /** Follows `*alias` references so validators only ever see real nodes. */
  static resolve(node: unknown, document: Document.Parsed): ValueNode | null {
    const target: unknown = isAlias(node) ? node.resolve(document) : node;
    if (isScalar(target) || isMap(target) || isSeq(target)) return target;
    return null;
  }
}
