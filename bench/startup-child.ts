// One measurement of bench/startup.ts, in a fresh process: nothing is in the module cache yet.
// `ours-first` or `base-first` says which is loaded first; whatever is loaded second finds the
// modules they share (node's own) already compiled.
import { shippedRulesDir } from "../src/package-root.js";

async function base(): Promise<number> {
  const t = performance.now();
  const [{ default: express }, { default: helmet }] = await Promise.all([import("express"), import("helmet")]);
  express().use(helmet());
  return performance.now() - t;
}

async function ours(): Promise<{ import: number; build: number }> {
  const t = performance.now();
  const { geoCompliance } = await import("../src/index.js");
  const imported = performance.now();
  const compliance = geoCompliance({ rules: shippedRulesDir(), decisionLog: false, watch: false });
  const built = performance.now();
  await compliance.close();
  return { import: imported - t, build: built - imported };
}

const order = process.argv[2] === "base-first" ? "base-first" : "ours-first";
let b: number;
let o: { import: number; build: number };
if (order === "base-first") {
  b = await base();
  o = await ours();
} else {
  o = await ours();
  b = await base();
}
process.stdout.write(JSON.stringify({ order, base: b, import: o.import, build: o.build }) + "\n");
