// Mutation campaign for module.yaml validation (issue 12 item 10): takes the project's valid module
// files, replaces every scalar with invalid values, and runs the loader the way `eddy validate` does.
// Each mutation is classified: refused with a ModuleConfigError (good), accepted (a candidate gap,
// printed for a human to judge: some mutations are valid), or crashed with another error (a bug).
// Run: npx tsx scripts/mutate-modules.mjs [--all]   (--all also prints the accepted mutations that look valid)
import { readFileSync } from "node:fs";
import { parseAllDocuments, isScalar, isMap, isSeq } from "yaml";
import { parseModuleYaml, ModuleConfigError } from "../packages/runtime/src/config/index.ts";

const FILES = [
  "examples/greeter/module.yaml",
  "examples/remote-greeter/module.yaml",
  "examples/kafka-greeter/module.yaml",
  "examples/colocated-greeter/module.yaml",
  "packages/runtime/test/config/fixtures/embedded/module.yaml",
  "compat/module.yaml.template",
  "compat/module.egress-io.yaml.template",
];

const MUTANTS = [
  "", "   ", -1, 0, 1e12, 1.5, "NaN", [], ["x"], {}, { a: 1 }, true, null,
  "http://", "http:///path", "http://host:99999/x", "http://host:0/x", "ftp://x", "unix:///", "unix://", "http://h:80/a b",
  "-1s", "1x", "0ms", "1.5.5s", "s", "99999999999999d",
  "*", "a/*/b", "/x", "x/", "a/b/c", "a//b", " a/b", "a/b ", "ns/*x",
];

function render(text) {
  return text.replaceAll(/\$\{(\w+)\}/g, (_m, name) =>
    name.includes("PORT") ? String(20000 + name.length) : name.includes("ADDRESS") ? "127.0.0.1:9092" : "http://127.0.0.1:4567");
}

function scalarPaths(docs) {
  const out = [];
  const walk = (doc, node, path) => {
    if (isMap(node)) for (const pair of node.items) walk(doc, pair.value, [...path, String(isScalar(pair.key) ? pair.key.value : pair.key)]);
    else if (isSeq(node)) node.items.forEach((item, i) => walk(doc, item, [...path, i]));
    else if (isScalar(node)) out.push({ doc, path });
  };
  docs.forEach((doc, index) => walk(index, doc.contents, []));
  return out;
}

function run() {
  const results = [];
  for (const file of FILES) {
    const original = render(readFileSync(file, "utf8"));
    parseModuleYaml(original, file); // the base must be valid, or every mutation is noise
    const docs = parseAllDocuments(original);
    for (const { doc, path } of scalarPaths(docs)) {
      if (path.length === 0 || path[0] === "kind") continue;
      for (const value of MUTANTS) {
        const copy = parseAllDocuments(original);
        copy[doc].setIn(path, copy[doc].createNode(value));
        const text = copy.map((d) => d.toString()).join("---\n");
        const where = `${file} doc ${doc} ${path.join(".")}`;
        try {
          parseModuleYaml(text, file);
          results.push({ file, path: where, value, kind: "accepted", detail: "" });
        } catch (error) {
          if (error instanceof ModuleConfigError) results.push({ file, path: where, value, kind: "refused", detail: error.message.split("\n")[0] ?? "" });
          else results.push({ file, path: where, value, kind: "crashed", detail: String(error.stack) });
        }
      }
    }
    // Duplicate every document: duplicate ids and bindings must be refused.
    const doubled = original + "\n---\n" + original.replace(/^#.*$/gm, "");
    try {
      parseModuleYaml(doubled, file);
      results.push({ file, path: `${file} (every document twice)`, value: "dup", kind: "accepted", detail: "" });
    } catch (error) {
      results.push({ file, path: `${file} (every document twice)`, value: "dup", kind: error instanceof ModuleConfigError ? "refused" : "crashed", detail: String(error) });
    }
  }
  const count = (k) => results.filter((r) => r.kind === k).length;
  for (const r of results) if (r.kind !== "refused") console.log(`${r.kind.toUpperCase()} ${r.path} = ${JSON.stringify(r.value)} ${r.detail}`);
  console.log(`mutations: ${results.length}, refused: ${count("refused")}, accepted: ${count("accepted")}, crashed: ${count("crashed")}`);
}

run();
