// Serves the demo site twice for `npm run bench`, with the decision log on (to a file) and off,
// and reports this process's CPU time on request so the bench can charge it to each run.
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoSite } from "../demo/app.js";
import { geoCompliance, shippedRules } from "../src/index.js";
import { answerCpu } from "./side-by-side.js";

const file = join(mkdtempSync(join(tmpdir(), "gc-bench-log-")), "decisions.jsonl");
const on = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: { destination: file } });
const off = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: false });
const servers = [createDemoSite(on).listen(0, "127.0.0.1", report), createDemoSite(off).listen(0, "127.0.0.1", report)];
let listening = 0;
function report(): void {
  if (++listening < servers.length) return;
  const [a, b] = servers.map((s) => (s.address() as AddressInfo).port);
  process.send?.({ ports: { on: a, off: b } });
}
answerCpu();
process.on("message", (m) => {
  // Lines are batched and flushed at least every second.
  if (m === "status") setTimeout(() => process.send?.({ status: on.status().log }), 1500);
});
process.on("disconnect", () => {
  void Promise.all([on.close(), off.close()]).then(() => process.exit(0));
});
