import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { redirectProblem } from "../src/actions/redirect.js";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, RU, rawRequest, US } from "./support/action-site.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

const SECRET = "SECRET-MARKER-redirect";

describe("redirect targets", () => {
  it("accept paths and http(s) URLs, and refuse what could split a header or leave for another host unseen", () => {
    expect(redirectProblem("/ru/", 302)).to.equal(null);
    expect(redirectProblem("https://ru.news.example/a?b=c", 307)).to.equal(null);
    expect(redirectProblem("/a\r\nSet-Cookie: x=1")).to.contain("line break");
    expect(redirectProblem("//evil.example/")).to.contain("starts with //");
    expect(redirectProblem("javascript:alert(1)")).to.contain("must be an http or https URL");
    expect(redirectProblem("/новости")).to.contain("percent-encode");
    expect(redirectProblem("/x", 301)).to.equal("redirect status must be 302 or 307, not 301");
  });
});

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`redirect over HTTP (${name})`, () => {
    let server: Running;
    let handlerRuns = 0;
    let log: MemoryLog;

    before(async () => {
      log = new MemoryLog();
      const app = express();
      app.use(
        actionMiddleware({
          log,
          actionsFor: (region, facts): Action[] => {
            if (region.country !== "RU") return [];
            if (facts.path === "/temporary") return [{ kind: "redirect", rule: "r", status: 307, location: "https://ru.news.example/temporary?from=geo" }];
            if (facts.path === "/broken") return [{ kind: "redirect", rule: "r", status: 302, location: "/x\r\nSet-Cookie: injected=1" }];
            return [{ kind: "redirect", rule: "r", status: 302, location: "/ru/" }];
          },
        }),
      );
      app.use((_req, res) => {
        handlerRuns++;
        res.setHeader("X-Handler", "ran");
        res.type("text").send(SECRET);
      });
      server = await listen(app);
    });
    after(() => server.close());

    it("answers 302 with Location and an empty body, without running the handler", async () => {
      const runs = handlerRuns;
      const res = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": RU }, redirect: "manual" });
      expect(res.status).to.equal(302);
      expect(res.headers.get("location")).to.equal("/ru/");
      expect(res.headers.get("content-length")).to.equal("0");
      expect(res.headers.get("x-handler")).to.equal(null);
      expect(res.headers.get("cache-control")).to.equal("private");
      expect(await res.text()).to.equal("");
      expect(handlerRuns).to.equal(runs);
    });

    it("answers 307 for any method, so a POST stays a POST", async () => {
      const runs = handlerRuns;
      const res = await fetch(`${server.url}/temporary`, { method: "POST", body: "x=1", headers: { "X-Forwarded-For": RU }, redirect: "manual" });
      expect(res.status).to.equal(307);
      expect(res.headers.get("location")).to.equal("https://ru.news.example/temporary?from=geo");
      expect(await res.text()).to.equal("");
      expect(handlerRuns).to.equal(runs);
    });

    it("does not redirect a reader the rules leave alone", async () => {
      const runs = handlerRuns;
      const res = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": US }, redirect: "manual" });
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal(SECRET);
      expect(handlerRuns).to.equal(runs + 1);
    });

    it("never sends a location with a line break: the request goes on to the app and the log says why", async () => {
      const before = log.decisions().length;
      const res = await rawRequest(`${server.url}/broken`, { headers: { "X-Forwarded-For": RU } });
      expect(res.status).to.equal(200);
      expect(res.headers).not.to.have.property("location");
      expect(res.headers).not.to.have.property("set-cookie");
      const line = (await log.waitFor(before + 1)).at(-1);
      expect(line?.error).to.equal('rule r: redirect location "/x\\r\\nSet-Cookie: injected=1" contains a space, tab, line break or control character');
    });
  });
}
