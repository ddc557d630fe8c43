// Serves the demo site twice, with and without the middleware, for `npm run bench`.
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoSite } from "../demo/app.js";
import { geoCompliance, shippedRules } from "../src/index.js";
import { answerCpu } from "./side-by-side.js";

const compliance = geoCompliance({ rules: shippedRules,
  trustProxy: ["loopback"],
  decisionLog: { destination: join(mkdtempSync(join(tmpdir(), "gc-bench-")), "decisions.jsonl") },
});
const plain = createDemoSite().listen(0, "127.0.0.1", report);
const guarded = createDemoSite(compliance).listen(0, "127.0.0.1", report);
let listening = 0;
function report(): void {
  if (++listening < 2) return;
  process.send?.({ ports: { plain: (plain.address() as AddressInfo).port, guarded: (guarded.address() as AddressInfo).port } });
}
answerCpu();
process.on("disconnect", () => {
  void compliance.close().then(() => process.exit(0));
});
