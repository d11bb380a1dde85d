// Prints the top entries of a V8 CPU profile (node --cpu-prof): self time per
// function and time per source file, for docs/performance.md.
// Usage: node scripts/profile-top.mjs FILE.cpuprofile [entries=25]
import { readFileSync } from "node:fs";

const [file, countText] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: node scripts/profile-top.mjs FILE.cpuprofile [entries]\n");
  process.exit(2);
}
const count = Number(countText ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Sample i lasted timeDeltas[i + 1]; the last sample's duration is unknown (counted as the mean).
const selfUs = new Map();
const deltas = profile.timeDeltas;
const mean = deltas.reduce((a, b) => a + b, 0) / Math.max(1, deltas.length);
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (i + 1 < deltas.length ? deltas[i + 1] : mean));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const shortUrl = (url) => url.replace(/^file:\/\//u, "").replace(/^.*\/node_modules\//u, "~/").replace(/^.*\/(packages|compat|bench)\//u, "$1/");
const byFunction = new Map();
const byFile = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url === "" ? "(native)" : `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`;
  const name = `${callFrame.functionName || "(anonymous)"} ${where}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const fileKey = callFrame.url === "" ? callFrame.functionName || "(native)" : shortUrl(callFrame.url);
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
}
const print = (title, map) => {
  process.stdout.write(`${title}\n`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`);
print("self time by function:", byFunction);
print("self time by file:", byFile);
