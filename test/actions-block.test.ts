import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { BLOCK_PAGE_LANGUAGES, blockedByLink, blockedByProblem, blockPageLanguage, renderBlockPage } from "../src/actions/block.js";
import { BLOCK_PAGE_TEXTS } from "../src/actions/block-texts.js";
import type { BlockAction } from "../src/rules/actions.js";
import { actionMiddleware, RU, rawRequest, ruleLike, ruleSetWith, shippedRuleSet, US } from "./support/action-site.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

const RULE = "ru-undesirable-organization";
const BLOCKED_BY = "https://news.example/legal/blocking";
const SECRET = "SECRET-MARKER-7f3a";
const block = (language: string, blockedBy = BLOCKED_BY): BlockAction => ({ kind: "block", rule: RULE, status: 451, blockedBy, language });

describe("451 page pieces", () => {
  it("builds the RFC 7725 Link header, refusing URLs that could break out of it", () => {
    expect(blockedByLink(BLOCKED_BY)).to.equal('<https://news.example/legal/blocking>; rel="blocked-by"');
    expect(blockedByLink('https://news.example/a>b"c')).to.equal('<https://news.example/a%3Eb%22c>; rel="blocked-by"');
    expect(blockedByLink("https://news.example/\r\nSet-Cookie: x=1")).to.equal(null);
    expect(blockedByProblem("https://news.example/\r\nx")).to.contain("line break");
    expect(blockedByProblem("javascript:alert(1)")).to.contain("must be an http or https URL");
    expect(blockedByProblem("/legal")).to.contain("is not an absolute URL");
  });

  it("chooses the decision's language, then its primary subtag, then Accept-Language, then English", () => {
    expect(blockPageLanguage("ru", undefined)).to.equal("ru");
    expect(blockPageLanguage("pt-BR", undefined)).to.equal("pt");
    expect(blockPageLanguage("xx", "de-AT, fr;q=0.5")).to.equal("de");
    expect(blockPageLanguage("xx", "xx, yy")).to.equal("en");
    expect(blockPageLanguage("kk", undefined, { kk: { title: "t", text: "x" } })).to.equal("kk");
    expect(BLOCK_PAGE_LANGUAGES[0]).to.equal("en");
    for (const [lang, texts] of Object.entries(BLOCK_PAGE_TEXTS)) {
      for (const value of Object.values(texts)) expect(value, lang).to.be.a("string").and.not.equal("");
    }
  });

  it("is an accessible page: one main landmark labelled by its heading, lang, and dir=rtl for right-to-left languages", () => {
    const { body } = renderBlockPage({ action: block("ar"), path: "/news/1", decisionId: "id-1" });
    expect(body).to.contain('<html lang="ar" dir="rtl">');
    expect(body).to.contain(`<main class="geo-compliance-blocked" data-geo-compliance-blocked="${RULE}" aria-labelledby="geo-compliance-blocked-title">`);
    expect(body).to.contain(`<h1 id="geo-compliance-blocked-title">${BLOCK_PAGE_TEXTS.ar!.title}</h1>`);
    expect(body.split("<main").length - 1).to.equal(1);
    expect(renderBlockPage({ action: block("en"), path: "/", decisionId: "x" }).body).to.contain('<html lang="en">');
  });

  it("uses the rule's own text when it gives one", () => {
    const { body, language } = renderBlockPage({
      action: block("ru"),
      path: "/",
      decisionId: "x",
      ruleTexts: { ru: { title: "Материал недоступен", text: "Решение суда от 1 марта.", html: "<p>Решение <em>суда</em> от 1 марта.</p>" } },
    });
    expect(language).to.equal("ru");
    expect(body).to.contain("<title>451 Материал недоступен</title>");
    expect(body).to.contain("<p>Решение <em>суда</em> от 1 марта.</p>");
    expect(body).to.contain(`<dt>${BLOCK_PAGE_TEXTS.ru!.blockedBy}</dt>`);
  });
});

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`451 Unavailable For Legal Reasons over HTTP (${name})`, () => {
    let server: Running;
    let handlerRuns = 0;
    let log: MemoryLog;
    const base = shippedRuleSet();
    const withTexts = ruleLike(base, "ru-texts", { block: { texts: { uk: { title: "Власний заголовок", text: "Власний текст." } } } });

    before(async () => {
      log = new MemoryLog();
      const app = express();
      app.use(
        actionMiddleware({
          log,
          ruleset: ruleSetWith(base, [...base.rules, withTexts]),
          actionsFor: (region, facts) => {
            if (region.country !== "RU") return [];
            if (facts.path === "/own-text") return [{ ...block("uk"), rule: "ru-texts" }];
            if (facts.path === "/bad-link") return [block("en", 'https://x.example/"><script>alert(1)</script>')];
            const language = facts.acceptLanguage?.startsWith("ru") ? "ru" : facts.acceptLanguage?.startsWith("ar") ? "ar" : "en";
            return [block(language), { kind: "notice", rule: RULE, language, placement: { at: "body-start" }, dismissible: false }];
          },
        }),
      );
      app.use((_req, res) => {
        handlerRuns++;
        res.setHeader("X-Handler", "ran");
        res.cookie("handler", "1");
        res.type("html").send(`<html><body>${SECRET}</body></html>`);
      });
      server = await listen(app);
    });
    after(() => server.close());

    it("answers 451 with the blocked-by Link and a localized page, and never runs the handler", async () => {
      const runs = handlerRuns;
      const res = await fetch(`${server.url}/news/article-1?utm_source=x`, { headers: { "X-Forwarded-For": RU, "Accept-Language": "ru-RU,ru;q=0.9" } });
      const body = await res.text();
      expect(res.status).to.equal(451);
      expect(res.statusText).to.equal("Unavailable For Legal Reasons");
      expect(res.headers.get("link")).to.equal(`<${BLOCKED_BY}>; rel="blocked-by"`);
      expect(res.headers.get("content-type")).to.equal("text/html; charset=utf-8");
      expect(res.headers.get("content-language")).to.equal("ru");
      expect(res.headers.get("content-length")).to.equal(String(Buffer.byteLength(body)));
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(res.headers.get("vary")).to.equal("Accept, Accept-Language");
      expect(res.headers.get("cache-control")).to.equal("private");
      expect(body).to.contain('<html lang="ru">');
      expect(body).to.contain(`<h1 id="geo-compliance-blocked-title">${BLOCK_PAGE_TEXTS.ru!.title}</h1>`);
      expect(body).to.contain(`<a href="${BLOCKED_BY}" rel="nofollow">${BLOCKED_BY}</a>`);
      expect(body).to.contain("<code>/news/article-1</code>");
      expect(body).to.contain(`<code>${res.headers.get("geo-compliance-decision")}</code>`);
      expect(body).not.to.contain("utm_source");
      // Nothing of the handler: not its body, not its headers, not its cookies; and no notice either.
      expect(handlerRuns).to.equal(runs);
      expect(body).not.to.contain(SECRET);
      expect(res.headers.get("x-handler")).to.equal(null);
      expect(res.headers.getSetCookie()).to.deep.equal([]);
      expect(body).not.to.contain("geo-compliance-notice");
    });

    it("answers JSON to a client that prefers it", async () => {
      const runs = handlerRuns;
      const res = await fetch(`${server.url}/api/article/1`, { headers: { "X-Forwarded-For": RU, Accept: "application/json", "Accept-Language": "en" } });
      expect(res.status).to.equal(451);
      expect(res.headers.get("content-type")).to.equal("application/json; charset=utf-8");
      expect(res.headers.get("link")).to.equal(`<${BLOCKED_BY}>; rel="blocked-by"`);
      const json = (await res.json()) as Record<string, unknown>;
      expect(json).to.deep.equal({
        type: "about:blank",
        status: 451,
        title: BLOCK_PAGE_TEXTS.en!.title,
        detail: BLOCK_PAGE_TEXTS.en!.text,
        instance: "/api/article/1",
        blockedBy: BLOCKED_BY,
        decisionId: res.headers.get("geo-compliance-decision"),
        language: "en",
      });
      expect(handlerRuns).to.equal(runs);
      // HTML stays the answer for browsers and for clients that take anything.
      const any = await fetch(`${server.url}/x`, { headers: { "X-Forwarded-For": RU, Accept: "*/*" } });
      expect(any.headers.get("content-type")).to.equal("text/html; charset=utf-8");
      const browser = await fetch(`${server.url}/x`, { headers: { "X-Forwarded-For": RU, Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
      expect(browser.headers.get("content-type")).to.equal("text/html; charset=utf-8");
    });

    it("escapes what it reflects: the requested path, percent-encoded or raw, and the blocked-by URL", async () => {
      const encoded = await fetch(`${server.url}/%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%3E`, { headers: { "X-Forwarded-For": RU } });
      const encodedBody = await encoded.text();
      expect(encoded.status).to.equal(451);
      expect(encodedBody).to.contain("<code>/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;</code>");
      expect(encodedBody).not.to.contain("<script>");
      const raw = await rawRequest(server.url, { path: "/<img/src=x/onerror=alert(1)>", headers: { "X-Forwarded-For": RU } });
      expect(raw.status).to.equal(451);
      expect(raw.body).to.contain("<code>/&lt;img/src=x/onerror=alert(1)&gt;</code>");
      expect(raw.body).not.to.contain("<img");
      const json = await fetch(`${server.url}/%3Cscript%3E`, { headers: { "X-Forwarded-For": RU, Accept: "application/json" } });
      expect(((await json.json()) as { instance: string }).instance).to.equal("/<script>");
      const before = log.decisions().length;
      const badLink = await fetch(`${server.url}/bad-link`, { headers: { "X-Forwarded-For": RU } });
      const badBody = await badLink.text();
      expect(badLink.status).to.equal(451);
      expect(badLink.headers.get("link")).to.equal('<https://x.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E>; rel="blocked-by"');
      expect(badBody).not.to.contain("<script>");
      expect(badBody).to.contain('<a href="https://x.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E" rel="nofollow">https://x.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</a>');
      await log.waitFor(before + 1);
    });

    it("speaks the reader's language, right to left where it is written so, or the rule's own words", async () => {
      const ar = await (await fetch(`${server.url}/x`, { headers: { "X-Forwarded-For": RU, "Accept-Language": "ar" } })).text();
      expect(ar).to.contain('<html lang="ar" dir="rtl">').and.contain(BLOCK_PAGE_TEXTS.ar!.text);
      const own = await fetch(`${server.url}/own-text`, { headers: { "X-Forwarded-For": RU } });
      const ownBody = await own.text();
      expect(own.headers.get("content-language")).to.equal("uk");
      expect(ownBody).to.contain("<title>451 Власний заголовок</title>").and.contain("<p>Власний текст.</p>").and.contain(BLOCK_PAGE_TEXTS.uk!.reference);
    });

    it("answers HEAD with the headers only", async () => {
      const runs = handlerRuns;
      const res = await rawRequest(`${server.url}/x`, { method: "HEAD", headers: { "X-Forwarded-For": RU } });
      expect(res.status).to.equal(451);
      expect(res.headers.link).to.equal(`<${BLOCKED_BY}>; rel="blocked-by"`);
      expect(Number(res.headers["content-length"])).to.be.greaterThan(500);
      expect(res.body).to.equal("");
      expect(handlerRuns).to.equal(runs);
    });

    it("runs the handler for a reader the rules leave alone, and logs the 451", async () => {
      const runs = handlerRuns;
      const us = await fetch(`${server.url}/news/article-1`, { headers: { "X-Forwarded-For": US } });
      expect(us.status).to.equal(200);
      expect(await us.text()).to.contain(SECRET);
      expect(handlerRuns).to.equal(runs + 1);
      const before = log.decisions().length;
      const ru = await fetch(`${server.url}/news/article-2`, { headers: { "X-Forwarded-For": RU } });
      await ru.text();
      const line = (await log.waitFor(before + 1)).find((l) => l.decision_id === ru.headers.get("geo-compliance-decision"));
      expect(line).to.include({ status: 451, rewritten: false });
      expect(line).not.to.have.property("error");
    });
  });
}
