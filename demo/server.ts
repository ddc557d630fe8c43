import type { AddressInfo } from "node:net";
import { geoCompliance, shippedRules } from "../src/index.js";
import { createDemoSite, DEMO_GEOIP } from "./app.js";

// The demo believes X-Forwarded-For from loopback only, so `curl -H 'X-Forwarded-For: …'` can play a reader anywhere.
const compliance = geoCompliance({
  // The example rules shipped with the package; a site passes its own folder, e.g. "rules/".
  rules: shippedRules,
  geoip: DEMO_GEOIP,
  trustProxy: ["loopback"],
  decisionLog: { destination: process.env.DECISION_LOG ?? "decisions.jsonl" },
  // The reader preview at /_preview is on only when this variable holds a secret.
  preview: { secret: process.env.GEO_COMPLIANCE_PREVIEW_SECRET },
});
const port = Number(process.env.PORT ?? 3000);
const server = createDemoSite(compliance, compliance.previewRouter).listen(port, process.env.HOST ?? "127.0.0.1", () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`demo site on http://localhost:${bound}/ (rules revision ${compliance.status().revision}; decisions in ${process.env.DECISION_LOG ?? "decisions.jsonl"})`);
  if (process.env.GEO_COMPLIANCE_PREVIEW_SECRET) console.log(`reader preview on http://localhost:${bound}/_preview/ (sign in with GEO_COMPLIANCE_PREVIEW_SECRET)`);
});

function stop(): void {
  server.close();
  void compliance.close().then(() => process.exit(0));
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
