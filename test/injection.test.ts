import { expect } from "chai";
import { writeFileSync } from "node:fs";
import express from "express";
import { Parser } from "htmlparser2";
import { DECISION_HEADER, geoCompliance, RuleLoadError } from "../src/index.js";
import { SESSION_COOKIE } from "../src/http/preview/session.js";
import { formatProblem } from "../src/rules/errors.js";
import { ARTICLE } from "./support/pages.js";
import { head, rawRequest } from "./support/raw-http.js";
import { cityDbFile, IP, PREVIEW_SECRET } from "./support/region-fixtures.js";
import { ruleDir, rulesFrom } from "./support/rule-sets.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

/** Languages of several scripts and both directions. */
const LANGUAGES = ["en", "ru", "uk", "be", "kk", "de", "fr", "tr", "ar", "he", "fa", "zh", "ja", "ko", "hi", "pt-BR", "sr-Latn"];

/** What a hostile or careless author might paste into a text: each must reach the reader as the characters written. */
const PAYLOADS = [
  `<script>alert("s")</script>`,
  `"><img src=x onerror=alert(1)>`,
  `</section></p><script src="https://evil.example/x.js"></script>`,
  `<a href="javascript:alert(2)">link</a>`,
  `<!-- --><![CDATA[ ]]><style>body{display:none}</style>`,
  `&amp; &#60;script&#62; & 'single' "double"`,
  "\u2028line\u2029separators and a NUL-looking \\u0000",
];

const title = (lang: string): string => `${lang} title <script>alert("${lang}")</script> "quoted" & more`;
const text = (lang: string): string => `${lang}: ${PAYLOADS.join(" ")}`;

/** A rule file in JSON form (YAML accepts it), so every payload reaches the loader exactly as written. */
function ruleFile(rules: object[]): string {
  return `rules: ${JSON.stringify(rules)}\n`;
}

const noticeRule = {
  id: "hostile-notice",
  title: "Texts with markup",
  basis: { text: "A law" },
  regions: { countries: ["RU"] },
  actions: { notice: { defaultLanguage: "en", languages: Object.fromEntries(LANGUAGES.map((l) => [l, { title: title(l), text: text(l) }])) } },
};

const blockRule = {
  id: "hostile-block",
  title: "Withheld with texts with markup",
  basis: { text: "A law" },
  regions: { countries: ["DE"] },
  actions: { block: { blockedBy: "https://example.org/legal", defaultLanguage: "en", languages: Object.fromEntries(LANGUAGES.map((l) => [l, { title: title(l), text: text(l) }])) } },
};

interface Element {
  readonly name: string;
  readonly attributes: Record<string, string>;
  /** Decoded text directly inside this element and its descendants. */
  text: string;
}

/** Every element of a page as a browser's tokenizer sees it (htmlparser2 decodes entities like a browser). */
function elements(html: string): Element[] {
  const all: Element[] = [];
  const open: Element[] = [];
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const el = { name, attributes, text: "" };
        all.push(el);
        open.push(el);
      },
      ontext(data) {
        for (const el of open) el.text += data;
      },
      onclosetag() {
        open.pop();
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return all;
}

const eventHandlers = (els: Element[]): string[] => els.flatMap((e) => Object.keys(e.attributes).filter((a) => a.startsWith("on")).map((a) => `${e.name}[${a}]`));

describe("injection: markup and line breaks are escaped or refused", () => {
  let server: Running;
  let compliance: ReturnType<typeof geoCompliance>;
  const log = new MemoryLog();

  before(async () => {
    const rules = ruleDir({ "hostile.yaml": ruleFile([noticeRule, blockRule]) });
    compliance = geoCompliance({ rules, geoip: { database: cityDbFile() }, trustProxy: "loopback", decisionLog: { destination: log }, preview: { secret: PREVIEW_SECRET } });
    const app = express();
    app.use("/_preview", compliance.previewRouter);
    app.use(compliance);
    app.use((_req, res) => {
      res.type("html").send(ARTICLE);
    });
    server = await listen(app);
  });
  after(async () => {
    await server.close();
    await compliance.close();
  });

  const articleTags = elements(ARTICLE).map((e) => e.name);

  describe("notice texts", () => {
    for (const lang of LANGUAGES) {
      it(`in ${lang}: every character of the title and text reaches the reader as text, and nothing runs`, async () => {
        const res = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": IP.moscow, "Accept-Language": lang } });
        expect(res.status).to.equal(200);
        const els = elements(await res.text());
        const notice = els.find((e) => e.attributes["data-geo-compliance-notice"] === "hostile-notice");
        expect(notice, "the notice").to.not.equal(undefined);
        expect(notice!.attributes.lang).to.equal(lang);
        // The page's own elements, plus the notice's own, and nothing a text brought in.
        const added = els.map((e) => e.name);
        for (const t of articleTags) added.splice(added.indexOf(t), 1);
        expect(added.filter((t) => !["section", "strong", "p"].includes(t))).to.deep.equal([]);
        expect(added).to.include("section");
        expect(els.filter((e) => e.name === "script"), "only the page's own script").to.have.length(1);
        expect(eventHandlers(els)).to.deep.equal([]);
        // Escaped, not dropped: the reader reads what was written.
        expect(notice!.attributes["aria-label"]).to.equal(title(lang));
        expect(els.find((e) => e.attributes.class === "geo-compliance-notice__title")?.text).to.equal(title(lang));
        const paragraphs = notice!.text.slice(title(lang).length);
        expect(paragraphs.replace(/\s+/g, " ").trim()).to.equal(text(lang).replace(/\s+/g, " ").trim());
      });
    }

    it("as html:, the same markup is refused at load, once for each language, at its own line", () => {
      const yaml = [
        "rules:",
        "  - id: hostile-html",
        "    title: Markup",
        "    basis: { text: A law }",
        "    regions: { countries: [RU] }",
        "    actions:",
        "      notice:",
        "        defaultLanguage: en",
        "        languages:",
        ...LANGUAGES.flatMap((l) => [`          ${l}:`, `            title: Warning`, `            html: ${JSON.stringify(`<p>${l}</p><script>alert("${l}")</script><p onclick="x()">t</p>`)}`]),
        "",
      ].join("\n");
      let problems: string[] = [];
      try {
        rulesFrom({ "h.yaml": yaml });
      } catch (error) {
        expect(error).to.be.instanceOf(RuleLoadError);
        problems = (error as RuleLoadError).problems.map(formatProblem);
      }
      LANGUAGES.forEach((l, i) => {
        const line = 10 + i * 3 + 2;
        const mine = problems.filter((p) => p.startsWith(`h.yaml:${line}:`));
        expect(mine.some((p) => /<script> is not allowed in a notice/.test(p)), `${l}: ${problems.join("\n")}`).to.equal(true);
        expect(mine.some((p) => /the attribute onclick is not allowed on <p>/.test(p)), l).to.equal(true);
      });
    });
  });

  describe("the 451 page", () => {
    for (const lang of LANGUAGES) {
      it(`in ${lang}: the rule's texts are shown as written, with nothing added that runs`, async () => {
        const res = await fetch(`${server.url}/article`, { headers: { "X-Forwarded-For": IP.berlin, "Accept-Language": lang } });
        expect(res.status).to.equal(451);
        expect(res.headers.get("content-language")).to.equal(lang);
        const els = elements(await res.text());
        expect(els.filter((e) => ["script", "img", "iframe", "object", "embed", "svg", "form"].includes(e.name))).to.deep.equal([]);
        expect(els.filter((e) => e.name === "style"), "only the page's own style").to.have.length(1);
        expect(eventHandlers(els)).to.deep.equal([]);
        expect(els.filter((e) => e.name === "a").map((e) => e.attributes.href)).to.deep.equal(["https://example.org/legal"]);
        expect(els.find((e) => e.name === "h1")?.text).to.equal(title(lang));
        expect(els.find((e) => e.name === "title")?.text).to.equal(`451 ${title(lang)}`);
        expect(els.find((e) => e.name === "main")?.text).to.contain(text(lang));
      });
    }

    it("reflects the path only as text, whatever its encoding, and nothing of the request in its headers", async () => {
      const paths = [
        `/%3Cscript%3Ealert(1)%3C/script%3E`,
        `/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E`,
        `/a%0D%0ASet-Cookie:%20evil=1`,
        `/%E2%80%A8%3C/code%3E%3Cscript%3E`,
        `/%ZZ%3Cb%3E`,
        `/${"%3Cscript%3E".repeat(100)}`,
      ];
      for (const path of paths) {
        const res = await rawRequest(server.url, head(`GET ${path}?q=%3Cscript%3E HTTP/1.1`, [["X-Forwarded-For", IP.berlin], ["Accept-Language", "en\"><script>, ru;q=0.5"], ["Accept", "text/html"]]));
        expect(res.status, path).to.equal(451);
        const names = res.headers.map(([n]) => n);
        expect(names, path).to.not.include("set-cookie");
        expect(LANGUAGES, path).to.include(res.headers.find(([n]) => n === "content-language")?.[1]);
        for (const [, value] of res.headers) expect(value, path).to.not.match(/script|evil/i);
        const els = elements(res.body);
        expect(els.filter((e) => e.name === "script" || e.name === "img" || e.name === "b"), path).to.deep.equal([]);
        expect(eventHandlers(els), path).to.deep.equal([]);
        expect(res.body, "the query string is never shown").to.not.contain("q=");
        const shown = els.filter((e) => e.name === "code")[0]?.text ?? "";
        let decoded = path;
        try {
          decoded = decodeURIComponent(path);
        } catch {
          // shown as it came
        }
        expect(shown, path).to.equal(decoded.length > 300 ? `${decoded.slice(0, 300)}…` : decoded);
      }
    });

    it("as JSON, the same values are JSON strings, never markup the client could take for HTML", async () => {
      const res = await fetch(`${server.url}/%3Cscript%3E`, { headers: { "X-Forwarded-For": IP.berlin, Accept: "application/json", "Accept-Language": "ar" } });
      expect(res.status).to.equal(451);
      expect(res.headers.get("content-type")).to.equal("application/json; charset=utf-8");
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
      const json = (await res.json()) as Record<string, unknown>;
      expect(json).to.include({ title: title("ar"), instance: "/<script>" });
    });
  });

  describe("the preview pages", () => {
    let cookie: string;
    before(async () => {
      const res = await fetch(`${server.url}/_preview/login`, { method: "POST", body: new URLSearchParams({ secret: PREVIEW_SECRET }), redirect: "manual" });
      cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
      expect(cookie).to.be.a("string");
    });

    for (const lang of ["en", "ar", "zh"]) {
      it(`shows the rule's notice text in ${lang} as written, with nothing that runs`, async () => {
        const res = await fetch(`${server.url}/_preview/?region=RU&lang=${lang}&path=/`, { headers: { cookie } });
        expect(res.status).to.equal(200);
        const body = await res.text();
        const els = elements(body);
        expect(els.filter((e) => ["script", "img", "style", "object", "embed", "svg"].includes(e.name))).to.deep.equal([]);
        expect(eventHandlers(els)).to.deep.equal([]);
        const links = els.filter((e) => e.name === "a").map((e) => e.attributes.href ?? "");
        expect(links.filter((h) => /^\s*javascript:/i.test(h))).to.deep.equal([]);
        expect(els.some((e) => e.text.includes(`alert("${lang}")`)), "the title is shown, as text").to.equal(true);
      });
    }

    it("a picked page whose path carries a line break is refused, and no header carries it", async () => {
      for (const path of ["/a\r\nSet-Cookie: evil=1", "/a\nLocation: https://evil.example/", "/a\u2028b"]) {
        const res = await fetch(`${server.url}/_preview/frame?${new URLSearchParams({ region: "RU", path })}`, { headers: { cookie }, redirect: "manual" });
        const location = res.headers.get("location");
        if (res.status === 303) {
          // A character that is not a line break in HTTP is carried percent-encoded.
          expect(location).to.match(/^\/[\x21-\x7e]*$/);
        } else {
          expect(res.status, JSON.stringify(path)).to.equal(400);
          expect(location).to.equal(null);
        }
        expect(res.headers.getSetCookie().filter((c) => c.includes("evil"))).to.deep.equal([]);
      }
    });
  });

  describe("header values from rules", () => {
    const withHeader = (name: string, value: string): string =>
      ruleFile([{ id: "h", title: "H", basis: { text: "A law" }, regions: { countries: ["RU"] }, actions: { headers: { [name]: value } } }]);

    for (const [name, value, message] of [
      ["X-Reason", "a\r\nSet-Cookie: evil=1", /must be on one line/],
      ["X-Reason", "a\nb", /must be on one line/],
      ["X-Reason", "a\u0000b", /cannot carry "\\u0000"/],
      ["X-Reason", "a\u007fb", /cannot carry/],
      ["X-Reason", "Внимание", /cannot carry "В" \(U\+0412\)/],
      ["X-Reason\r\nSet-Cookie", "evil=1", /not a header name/],
      ["Set-Cookie", "evil=1", /cannot be set by a rule/],
    ] as const) {
      it(`${JSON.stringify(`${name}: ${value}`)} is refused when the rules load, with its position`, () => {
        let problems: string[] = [];
        try {
          rulesFrom({ "h.yaml": withHeader(name, value) });
        } catch (error) {
          problems = (error as RuleLoadError).problems.map(formatProblem);
        }
        expect(problems).to.have.length.greaterThan(0);
        expect(problems.join("\n")).to.match(/^h\.yaml:1:\d+: /).and.match(message);
      });
    }

    it("and the same change arriving by reload is rejected; the last good set stays and its responses carry no injected header", async () => {
      const dir = ruleDir({ "h.yaml": withHeader("X-Reason", "fine") });
      const local = geoCompliance({ rules: dir, trustProxy: "loopback", decisionLog: false, watch: false });
      const app = express();
      app.use(local);
      app.use((_req, res) => {
        res.type("html").send(ARTICLE);
      });
      const s = await listen(app);
      try {
        for (const value of ["a\r\nSet-Cookie: evil=1", "Внимание", "a\u0000b"]) {
          writeFileSync(`${dir}/h.yaml`, withHeader("X-Reason", value));
          expect(local.reload().ok, JSON.stringify(value)).to.equal(false);
          const res = await fetch(`${s.url}/`, { headers: { "X-Forwarded-For": IP.moscow } });
          expect(res.status).to.equal(200);
          expect(res.headers.get("x-reason")).to.equal("fine");
          expect(res.headers.getSetCookie()).to.deep.equal([]);
          expect(res.headers.get(DECISION_HEADER)).to.match(/^[0-9a-f-]{36}$/);
        }
      } finally {
        await s.close();
        await local.close();
      }
    });
  });
});
