import { expect } from "chai";
import { createHash } from "node:crypto";
import express5 from "express";
import express4 from "express4";
import { allowHostProblem, thirdPartyDirectives } from "../src/actions/csp.js";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, headerLines, RU, rawRequest, US } from "./support/action-site.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

const RULE = "ru-undesirable-organization";
const ALLOW = ["static-cdn.example", "images.example-media.net"];

/** The policy for the allowlist above on a page served from 127.0.0.1 (no registrable domain: the address itself, on any port). */
const OWN = "'self' 127.0.0.1:* static-cdn.example *.static-cdn.example images.example-media.net *.images.example-media.net";
const EXPECTED =
  `default-src ${OWN};script-src ${OWN} 'unsafe-inline' 'unsafe-eval';style-src ${OWN} 'unsafe-inline';` +
  `img-src ${OWN} data: blob:;font-src ${OWN} data:;media-src ${OWN} data: blob:;connect-src ${OWN};frame-src ${OWN};worker-src ${OWN} blob:;form-action ${OWN}`;

const APP_CSP = "default-src 'self'; script-src 'self' 'nonce-r4nd0m'; object-src 'none'";
const GUARD = /<script data-geo-compliance="guard">([^]*?)<\/script>/;

/** The app's policy as sent to a protected reader: the injected guard script's hash added, nothing else. */
function withGuardHash(policy: string, body: string): string {
  const script = GUARD.exec(body)?.[1];
  expect(script, "the guard script in the page").to.be.a("string");
  const hash = createHash("sha256").update(script!).digest("base64");
  return policy.replace("script-src 'self' 'nonce-r4nd0m'", `script-src 'self' 'nonce-r4nd0m' 'sha256-${hash}'`);
}

describe("third-party CSP directives", () => {
  it("allow the page's origin, the site's own domain and the allowlist, with their subdomains", () => {
    const d = thirdPartyDirectives(["cdn.example"], { host: "www.news.example", domain: "news.example" });
    expect(d["default-src"]).to.deep.equal(["'self'", "news.example:*", "*.news.example:*", "cdn.example", "*.cdn.example"]);
    expect(d["connect-src"]).to.deep.equal(d["default-src"]);
    expect(thirdPartyDirectives([], null)["frame-src"]).to.deep.equal(["'self'"]);
  });

  it("refuse allow entries that are not bare host names", () => {
    expect(allowHostProblem("cdn.example")).to.equal(null);
    for (const bad of ["https://cdn.example", "cdn.example/path", "cdn.example; script-src *", "*", "'unsafe-inline'", "cdn example", "localhost", ""]) {
      expect(allowHostProblem(bad), bad).to.contain("is not a host name");
    }
  });
});

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`third-party mode CSP over HTTP (${name})`, () => {
    let server: Running;
    let log: MemoryLog;

    before(async () => {
      log = new MemoryLog();
      const app = express();
      app.use(
        actionMiddleware({
          log,
          actionsFor: (region, facts): Action[] => {
            if (region.country !== "RU") return [];
            if (facts.path === "/list-mode") return [{ kind: "trackers", rule: RULE, mode: "list", allow: [] }];
            if (facts.path === "/two-rules")
              return [
                { kind: "trackers", rule: RULE, mode: "third-party", allow: ALLOW },
                { kind: "trackers", rule: "other", mode: "third-party", allow: ["static-cdn.example"] },
              ];
            if (facts.path === "/bad-allow") return [{ kind: "trackers", rule: RULE, mode: "third-party", allow: ["static-cdn.example", "x.example; script-src *"] }];
            return [{ kind: "trackers", rule: RULE, mode: "third-party", allow: ALLOW }];
          },
        }),
      );
      app.get("/page", (_req, res) => {
        res.type("html").send("<p>page</p>");
      });
      app.get("/list-mode", (_req, res) => {
        res.type("html").send("<p>list</p>");
      });
      app.get("/two-rules", (_req, res) => {
        res.type("html").send("<p>two</p>");
      });
      app.get("/bad-allow", (_req, res) => {
        res.type("html").send("<p>bad</p>");
      });
      app.get("/with-csp", (_req, res) => {
        res.setHeader("Content-Security-Policy", APP_CSP);
        res.type("html").send("<p>csp</p>");
      });
      server = await listen(app);
    });
    after(() => server.close());

    it("sends a policy built from the allowlist for a reader in third-party mode", async () => {
      const res = await rawRequest(`${server.url}/page`, { headers: { "X-Forwarded-For": RU } });
      expect(headerLines(res, "content-security-policy")).to.deep.equal([EXPECTED]);
      // The page keeps its bytes; the guard script that stops late-inserted trackers goes first.
      expect(res.body.replace(GUARD, "")).to.equal("<p>page</p>");
    });

    it("counts the site's own registrable domain as first party", async () => {
      const res = await rawRequest(`${server.url}/page`, { headers: { "X-Forwarded-For": RU, Host: "www.news-site.co.uk:8080" } });
      const [policy] = headerLines(res, "content-security-policy");
      expect(policy).to.match(/^default-src 'self' news-site\.co\.uk:\* \*\.news-site\.co\.uk:\* static-cdn\.example /);
    });

    it("keeps the app's own policy and adds the allowlist policy as a second one, so neither is loosened", async () => {
      const res = await rawRequest(`${server.url}/with-csp`, { headers: { "X-Forwarded-For": RU } });
      expect(headerLines(res, "content-security-policy")).to.deep.equal([withGuardHash(APP_CSP, res.body), EXPECTED]);
      const us = await rawRequest(`${server.url}/with-csp`, { headers: { "X-Forwarded-For": US } });
      expect(headerLines(us, "content-security-policy")).to.deep.equal([APP_CSP]);
    });

    it("sends one policy per rule's allowlist, so a host passes only when every rule allows it", async () => {
      const res = await rawRequest(`${server.url}/two-rules`, { headers: { "X-Forwarded-For": RU } });
      const policies = headerLines(res, "content-security-policy");
      expect(policies).to.have.length(2);
      expect(policies[0]).to.equal(EXPECTED);
      expect(policies[1]).to.match(/^default-src 'self' 127\.0\.0\.1:\* static-cdn\.example \*\.static-cdn\.example;/);
      expect(policies[1]).not.to.contain("images.example-media.net");
    });

    it("sends no policy in list mode or for readers the rules leave alone", async () => {
      const list = await rawRequest(`${server.url}/list-mode`, { headers: { "X-Forwarded-For": RU } });
      expect(headerLines(list, "content-security-policy")).to.deep.equal([]);
      expect(list.headers["referrer-policy"]).to.equal("no-referrer");
      const us = await rawRequest(`${server.url}/page`, { headers: { "X-Forwarded-For": US } });
      expect(headerLines(us, "content-security-policy")).to.deep.equal([]);
    });

    it("leaves out an allow entry that is not a host name, which only narrows the policy, and logs it", async () => {
      const before = log.decisions().length;
      const res = await rawRequest(`${server.url}/bad-allow`, { headers: { "X-Forwarded-For": RU } });
      const [policy] = headerLines(res, "content-security-policy");
      expect(policy).to.match(/^default-src 'self' 127\.0\.0\.1:\* static-cdn\.example \*\.static-cdn\.example;/);
      expect(policy).not.to.contain("x.example");
      expect(policy).not.to.contain("script-src *");
      const line = (await log.waitFor(before + 1)).at(-1);
      expect(line?.error).to.contain('trackers allow: "x.example; script-src *" is not a host name');
    });
  });
}
