// A site for the SIGTERM test: run as a child process, it reports its port over IPC.
import express from "express";
import type { AddressInfo } from "node:net";
import { geoCompliance, shippedRules } from "../../src/index.js";
import { ARTICLE } from "./pages.js";

// The README's shutdown handles SIGTERM itself; the other variants leave it to the decision log.
const readme = process.env.APP_ON_SIGTERM === "readme";
const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], instance: "sigterm-test", handleSignals: !readme, decisionLog: { destination: process.env.LOG_FILE! } });
if (process.env.APP_ON_SIGTERM === "exit") {
  // An app that exits at once on SIGTERM without closing the middleware.
  process.on("SIGTERM", () => process.exit(0));
}
const app = express();
app.use(compliance);
app.get("/", (_req, res) => {
  res.type("html").send(ARTICLE);
});
const server = app.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
if (readme) {
  // As the README shows it: stop taking requests, then close the middleware once the last response is out.
  process.once("SIGTERM", () => server.close(() => void compliance.close()));
}
// IPC must not keep the process alive once it is told to stop.
process.channel?.unref();
