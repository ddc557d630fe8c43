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

type Compliance = ReturnType<typeof import("../src/index.js").geoCompliance>;

async function ours(): Promise<{ import: number; build: number; compliance: Compliance }> {
  const t = performance.now();
  const { geoCompliance } = await import("../src/index.js");
  const imported = performance.now();
  const compliance = geoCompliance({ rules: shippedRulesDir(), decisionLog: false, watch: false, trustProxy: "loopback" });
  const built = performance.now();
  return { import: imported - t, build: built - imported, compliance };
}

/**
 * What start-up left for later: a reader in Russia's first page (it loads the public suffix list),
 * then the same page again, through the middleware on a real server. Run after both loads, so it
 * warms nothing either of them measures.
 */
async function pages(compliance: Compliance): Promise<{ first: number; again: number }> {
  const { createServer } = await import("node:http");
  const page = '<!doctype html><html><head><title>t</title></head><body><p>hi</p><script src="https://www.google-analytics.com/analytics.js"></script></body></html>';
  const server = createServer((req, res) =>
    compliance(req, res, () => {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.end(page);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  const get = async (): Promise<number> => {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { "X-Forwarded-For": "77.88.8.8", Accept: "text/html" } });
    const body = await res.text();
    if (!body.includes("geo-compliance")) throw new Error("the reader in Russia got the page unchanged");
    return performance.now() - t;
  };
  // fetch's own first use is paid before either page is timed.
  await fetch(`http://127.0.0.1:${port}/`, { method: "HEAD", headers: { "X-Forwarded-For": "8.8.8.8" } });
  const first = await get();
  const again = await get();
  server.close();
  await compliance.close();
  return { first, again };
}

const order = process.argv[2] === "base-first" ? "base-first" : "ours-first";
let b: number;
let o: { import: number; build: number; compliance: Compliance };
if (order === "base-first") {
  b = await base();
  o = await ours();
} else {
  o = await ours();
  b = await base();
}
const { first, again } = await pages(o.compliance);
process.stdout.write(JSON.stringify({ order, base: b, import: o.import, build: o.build, firstPage: first, pageAgain: again }) + "\n");
