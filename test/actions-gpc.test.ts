import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { gpcResource, GPC_PATH } from "../src/actions/gpc.js";
import type { RuleSet } from "../src/rules/types.js";
import { actionMiddleware, rawRequest, ruleLike, ruleSetWith, shippedRuleSet, US } from "./support/action-site.js";
import { listen } from "./support/server.js";

type ExpressLike = typeof express5;

const LOADED = new Date("2026-02-14T09:30:00Z");
const NOW = new Date("2026-03-01T12:00:00Z");
const base = shippedRuleSet(LOADED);
// Rules as the rule language compiles them: `when: { gpc: true }`, or a `gpc` action, with dates.
const whenGpc = ruleLike(base, "us-ca-gpc", { whenGpc: true });
const gpcAction = ruleLike(base, "us-ca-optout", { gpc: { kind: "gpc", rule: "us-ca-optout" }, fromMs: Date.parse("2026-01-01T00:00:00-08:00") });
const future = ruleLike(base, "future-gpc", { whenGpc: true, fromMs: Date.parse("2027-01-01T00:00:00Z") });

describe("GPC support resource", () => {
  it("exists only while a rule in force honours GPC, dated by the latest such rule's start or the load day", () => {
    expect(gpcResource(base, NOW)).to.equal(null);
    expect(gpcResource(ruleSetWith(base, [...base.rules, future]), NOW)).to.equal(null);
    expect(gpcResource(ruleSetWith(base, [...base.rules, whenGpc]), NOW)).to.deep.equal({ gpc: true, lastUpdate: "2026-02-14" });
    expect(gpcResource(ruleSetWith(base, [whenGpc, gpcAction]), NOW)).to.deep.equal({ gpc: true, lastUpdate: "2026-01-01" });
    expect(gpcResource(ruleSetWith(base, [whenGpc, future]), new Date("2027-02-01T00:00:00Z"))).to.deep.equal({ gpc: true, lastUpdate: "2027-01-01" });
  });
});

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`/.well-known/gpc.json over HTTP (${name})`, () => {
    async function site(ruleset: RuleSet) {
      const app = express();
      app.use(actionMiddleware({ ruleset, clock: () => NOW }));
      app.get(GPC_PATH, (_req, res) => {
        res.status(404).type("text").send("the app's own answer");
      });
      return listen(app);
    }

    it("serves {gpc: true, lastUpdate} as application/json when a rule honours GPC, to every reader", async () => {
      const server = await site(ruleSetWith(base, [...base.rules, whenGpc, gpcAction]));
      try {
        const res = await fetch(`${server.url}${GPC_PATH}`, { headers: { "X-Forwarded-For": US } });
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-type")).to.equal("application/json");
        const text = await res.text();
        expect(text).to.equal('{"gpc":true,"lastUpdate":"2026-01-01"}');
        expect(res.headers.get("content-length")).to.equal(String(text.length));
        const head = await rawRequest(`${server.url}${GPC_PATH}`, { method: "HEAD" });
        expect(head.status).to.equal(200);
        expect(head.headers["content-type"]).to.equal("application/json");
        expect(head.body).to.equal("");
      } finally {
        await server.close();
      }
    });

    it("leaves the path to the app when no rule honours GPC, or for other methods", async () => {
      const none = await site(base);
      try {
        const res = await fetch(`${none.url}${GPC_PATH}`);
        expect(res.status).to.equal(404);
        expect(await res.text()).to.equal("the app's own answer");
      } finally {
        await none.close();
      }
      const honours = await site(ruleSetWith(base, [whenGpc]));
      try {
        const post = await fetch(`${honours.url}${GPC_PATH}`, { method: "POST" });
        expect(post.status).to.equal(404);
      } finally {
        await honours.close();
      }
    });
  });
}
