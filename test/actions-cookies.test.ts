import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { CookieFilter, cookiePatternProblem, TRACKING_COOKIE_FILTER } from "../src/actions/cookies.js";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, RU, rawRequest, US } from "./support/action-site.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { listen, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

const RULE = "ru-undesirable-organization";
const TRACKERS: Action = { kind: "trackers", rule: RULE, mode: "list", allow: [] };

describe("cookie patterns", () => {
  it("match the listed tracking cookies and nothing else", () => {
    for (const name of ["_ga", "_ga_ABC123", "_gid", "_gat_UA-1", "_gcl_au", "_gcl_aw", "_fbp", "_fbc", "_ym_uid", "_ym_d", "_hjSessionUser_123", "__utma", "_clck", "tmr_lvid"]) {
      expect(TRACKING_COOKIE_FILTER.matches(name), name).to.equal(true);
    }
    for (const name of ["session", "sid", "_gal", "ga", "_GA", "csrf_token", "_gac", "lang"]) {
      expect(TRACKING_COOKIE_FILTER.matches(name), name).to.equal(false);
    }
  });

  it("take * as the only wildcard and every other character literally", () => {
    const f = new CookieFilter(["ad.id", "x_*_y", "a+b"]);
    expect(f.matches("ad.id")).to.equal(true);
    expect(f.matches("adXid")).to.equal(false);
    expect(f.matches("x_1_y")).to.equal(true);
    expect(f.matches("x__y")).to.equal(true);
    expect(f.matches("a+b")).to.equal(true);
    expect(f.matches("aab")).to.equal(false);
    expect(new CookieFilter([]).matches("_ga")).to.equal(false);
  });

  it("refuse patterns that are not cookie names or would drop every cookie", () => {
    expect(cookiePatternProblem("_ga*")).to.equal(null);
    expect(cookiePatternProblem("*")).to.contain("would drop every cookie");
    expect(cookiePatternProblem("a b")).to.contain("is not a cookie name pattern");
    expect(cookiePatternProblem("a;b")).to.contain("is not a cookie name pattern");
    expect(cookiePatternProblem("")).to.contain("non-empty");
    expect(() => new CookieFilter(["ok", "a=b"])).to.throw(TypeError, /"a=b" is not a cookie name pattern/);
  });
});

const SESSION = "session=abc123; Path=/; HttpOnly; SameSite=Lax";

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`tracking cookies dropped over HTTP (${name})`, () => {
    let server: Running;

    before(async () => {
      const app = express();
      app.use(
        actionMiddleware({
          actionsFor: (region, facts) => {
            if (region.country !== "RU") return [];
            if (facts.path === "/rule-patterns") return [{ kind: "cookies", rule: "site-cookies", drop: ["ab_*", "visitor"] }];
            if (facts.path === "/with-notice") return [TRACKERS, { kind: "notice", rule: RULE, language: "en", placement: { at: "body-start" }, dismissible: false }];
            return [TRACKERS];
          },
        }),
      );
      app.get("/set-header", (_req, res) => {
        res.setHeader("Set-Cookie", ["_ga=GA1.1.123.456; Path=/; Max-Age=63072000", SESSION, "_gid=GA1.1.9; Path=/", "_fbp=fb.1.2.3; Path=/; Secure"]);
        res.type("text").send("ok");
      });
      app.get("/single", (_req, res) => {
        res.setHeader("Set-Cookie", "_gcl_au=1.1.1; Path=/");
        res.type("text").send("ok");
      });
      app.get("/res-cookie", (_req, res) => {
        res.cookie("_ym_uid", "1700000000123", { path: "/", maxAge: 1000 });
        res.cookie("lang", "ru", { path: "/" });
        res.cookie("_ga_XYZ", "GS1.1", { path: "/" });
        res.type("text").send("ok");
      });
      app.get("/append", (_req, res) => {
        res.append("Set-Cookie", SESSION);
        res.append("Set-Cookie", "_hjSessionUser_42=eyJ; Path=/");
        res.append("Set-Cookie", ["__utma=1.2.3; Path=/", "theme=dark; Path=/"]);
        res.type("text").send("ok");
      });
      app.get("/write-head-object", (_req, res) => {
        res.writeHead(200, { "Content-Type": "text/plain", "Set-Cookie": ["_fbc=fb.1.x; Path=/", SESSION] });
        res.end("ok");
      });
      app.get("/write-head-array", (_req, res) => {
        res.writeHead(200, ["Content-Type", "text/plain", "Set-Cookie", "_ga=1; Path=/", "Set-Cookie", SESSION, "Set-Cookie", "_clck=abc; Path=/"]);
        res.end("ok");
      });
      app.get("/only-trackers", (_req, res) => {
        res.setHeader("Set-Cookie", ["_ga=1; Path=/", "_gid=2; Path=/"]);
        res.type("text").send("ok");
      });
      app.get("/rule-patterns", (_req, res) => {
        res.setHeader("Set-Cookie", ["ab_test=B; Path=/", "visitor=7; Path=/", "_ga=1; Path=/", SESSION]);
        res.type("text").send("ok");
      });
      app.get("/with-notice", (_req, res) => {
        res.cookie("_ga", "GA1.1", { path: "/" });
        res.cookie("session", "abc123", { path: "/", httpOnly: true });
        res.type("html").send(ARTICLE);
      });
      server = await listen(app);
    });
    after(() => server.close());

    const cookies = async (path: string, ip: string): Promise<string[]> => (await fetch(`${server.url}${path}`, { headers: { "X-Forwarded-For": ip } })).headers.getSetCookie();

    it("drops them from a list set with res.setHeader, keeping the others byte for byte and in order", async () => {
      expect(await cookies("/set-header", RU)).to.deep.equal([SESSION]);
      expect(await cookies("/single", RU)).to.deep.equal([]);
    });

    it("drops them when set with res.cookie", async () => {
      expect(await cookies("/res-cookie", RU)).to.deep.equal(["lang=ru; Path=/"]);
    });

    it("drops them when added with res.append", async () => {
      expect(await cookies("/append", RU)).to.deep.equal([SESSION, "theme=dark; Path=/"]);
    });

    it("drops them when passed to writeHead, as an object or as a flat list", async () => {
      expect(await cookies("/write-head-object", RU)).to.deep.equal([SESSION]);
      expect(await cookies("/write-head-array", RU)).to.deep.equal([SESSION]);
    });

    it("removes the header when every cookie in it is a tracker's", async () => {
      const res = await rawRequest(`${server.url}/only-trackers`, { headers: { "X-Forwarded-For": RU } });
      expect(res.headers).not.to.have.property("set-cookie");
      expect(res.body).to.equal("ok");
    });

    it("drops the patterns a rule gives", async () => {
      // Only the rule's patterns: this decision has no trackers action, so _ga stays.
      expect(await cookies("/rule-patterns", RU)).to.deep.equal(["_ga=1; Path=/", SESSION]);
    });

    it("keeps every cookie for a reader the rules leave alone", async () => {
      expect(await cookies("/set-header", US)).to.deep.equal(["_ga=GA1.1.123.456; Path=/; Max-Age=63072000", SESSION, "_gid=GA1.1.9; Path=/", "_fbp=fb.1.2.3; Path=/; Secure"]);
      expect(await cookies("/write-head-array", US)).to.deep.equal(["_ga=1; Path=/", SESSION, "_clck=abc; Path=/"]);
      expect(await cookies("/rule-patterns", US)).to.deep.equal(["ab_test=B; Path=/", "visitor=7; Path=/", "_ga=1; Path=/", SESSION]);
    });

    it("works beside the body rewrite: the notice goes in and the tracker's cookie goes out", async () => {
      const res = await fetch(`${server.url}/with-notice`, { headers: { "X-Forwarded-For": RU } });
      expect(res.headers.getSetCookie()).to.deep.equal(["session=abc123; Path=/; HttpOnly"]);
      expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
      expect(countNotices(await res.text())).to.equal(1);
    });
  });
}
