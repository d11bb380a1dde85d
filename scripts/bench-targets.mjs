#!/usr/bin/env node
// Prints the targets table of a bench log (from its "Targets" heading up to the JSON summary).
// CI shows this after the smoke run. It reads the file itself because a shell pipeline
// (`tail | head`) under `set -o pipefail` fails with SIGPIPE (exit 141) when the reader stops
// before the writer is done: the log's last line is a JSON summary of 10+ KB.
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: node scripts/bench-targets.mjs <bench log file>\n");
  process.exit(2);
}
let text;
try {
  text = readFileSync(file, "utf8");
} catch (error) {
  process.stderr.write(`bench-targets: cannot read ${file}: ${error.message}; run 'BENCH_QUICK=1 npm run bench > ${file}' first\n`);
  process.exit(1);
}
const lines = text.split("\n");
const start = lines.findIndex((line) => line.startsWith("Targets"));
if (start === -1) {
  process.stderr.write(`bench-targets: ${file} has no "Targets" table; the bench stopped before printing it (see the log)\n`);
  process.exit(1);
}
const end = lines.findIndex((line, i) => i > start && line.startsWith("JSON summary"));
const table = lines.slice(start, end === -1 ? lines.length : end);
while (table.length > 0 && table[table.length - 1].trim() === "") table.pop();
process.stdout.write(`${table.join("\n")}\n`);
