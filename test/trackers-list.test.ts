import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { getDomain } from "tldts";
import { parse as parseYaml } from "yaml";
import {
  hostOf,
  loadShippedTrackerList,
  loadTrackerListFile,
  parseAdblockList,
  parseDisconnectServices,
  parseHostList,
  parseTrackerYaml,
  registrableDomain,
  shippedTrackerListPath,
  TRACKER_CATEGORIES,
  TrackerList,
  TrackerListError,
  type TrackerEntry,
} from "../src/actions/trackers/list.js";

/** Runs `fn`, expects a TrackerListError and returns its message. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(TrackerListError);
    return (error as Error).message;
  }
  expect.fail("expected a TrackerListError");
}

describe("tracker list", () => {
  describe("shipped rules/trackers.yaml", () => {
    const list = loadShippedTrackerList();

    it("loads with at least 300 domains", () => {
      expect(list.size).to.be.at.least(300);
      expect(list.entries.length).to.be.greaterThan(100);
      expect(list.entries[0]!.source).to.match(/rules[/\\]trackers\.yaml$/);
      expect(list.ignored).to.equal(0);
    });

    it("starts with the schema comment and a header", () => {
      const text = readFileSync(shippedTrackerListPath(), "utf8");
      expect(text.split("\n")[0]).to.equal("# yaml-language-server: $schema=./trackers.schema.json");
      expect(text.split("\n")[2]).to.match(/^# \S/);
    });

    // One real tracker host per vendor the list must cover.
    const covered: [string, string][] = [
      ["www.google-analytics.com", "analytics"],
      ["region1.google-analytics.com", "analytics"],
      ["app-measurement.com", "analytics"],
      ["www.googletagmanager.com", "tag-manager"],
      ["securepubads.g.doubleclick.net", "advertising"],
      ["pagead2.googlesyndication.com", "advertising"],
      ["www.googleadservices.com", "advertising"],
      ["www.googletagservices.com", "advertising"],
      ["connect.facebook.net", "advertising"],
      ["www.facebook.com", "advertising"],
      ["static.ads-twitter.com", "advertising"],
      ["platform.twitter.com", "social"],
      ["snap.licdn.com", "advertising"],
      ["px.ads.linkedin.com", "advertising"],
      ["analytics.tiktok.com", "advertising"],
      ["static.hotjar.com", "session-replay"],
      ["www.clarity.ms", "session-replay"],
      ["bat.bing.com", "advertising"],
      ["mc.yandex.ru", "analytics"],
      ["mc.yandex.com", "analytics"],
      ["yastatic.net", "analytics"],
      ["vk.com", "social"],
      ["top-fwz1.mail.ru", "audience-measurement"],
      ["static.chartbeat.com", "analytics"],
      ["sb.scorecardresearch.com", "audience-measurement"],
      ["pixel.quantserve.com", "audience-measurement"],
      ["cdn.taboola.com", "content-recommendation"],
      ["widgets.outbrain.com", "content-recommendation"],
      ["static.criteo.net", "advertising"],
      ["c.amazon-adsystem.com", "advertising"],
      ["js-agent.newrelic.com", "error-monitoring"],
      ["bam.nr-data.net", "error-monitoring"],
      ["cdn.segment.com", "customer-data"],
      ["cdn.mxpnl.com", "analytics"],
      ["cdn.amplitude.com", "analytics"],
      // the long tail
      ["assets.adobedtm.com", "tag-manager"],
      ["example.sc.omtrdc.net", "analytics"],
      ["dpm.demdex.net", "customer-data"],
      ["tags.tiqcdn.com", "tag-manager"],
      ["cdn.optimizely.com", "ab-testing"],
      ["dev.visualwebsiteoptimizer.com", "ab-testing"],
      ["cdn.parsely.com", "analytics"],
      ["cdn.tinypass.com", "customer-engagement"],
      ["cdn.permutive.com", "customer-data"],
      ["tags.crwdcntrl.net", "customer-data"],
      ["idsync.rlcdn.com", "customer-data"],
      ["match.adsrvr.org", "advertising"],
      ["ib.adnxs.com", "advertising"],
      ["ads.pubmatic.com", "advertising"],
      ["fastlane.rubiconproject.com", "advertising"],
      ["us-u.openx.net", "advertising"],
      ["htlb.casalemedia.com", "advertising"],
      ["ap.lijit.com", "advertising"],
      ["contextual.media.net", "advertising"],
      ["a.teads.tv", "advertising"],
      ["ced.sascdn.com", "advertising"],
      ["ads.yieldmo.com", "advertising"],
      ["tlx.3lift.com", "advertising"],
      ["btlr.sharethrough.com", "advertising"],
      ["secure-dcr.imrworldwide.com", "audience-measurement"],
      ["hit.gemius.pl", "audience-measurement"],
      ["counter.yadro.ru", "audience-measurement"],
      ["counter.rambler.ru", "audience-measurement"],
      ["www.tns-counter.ru", "audience-measurement"],
      ["cdn.heapanalytics.com", "analytics"],
      ["edge.fullstory.com", "session-replay"],
      ["cdn.mouseflow.com", "session-replay"],
      ["script.crazyegg.com", "session-replay"],
      ["tools.luckyorange.com", "session-replay"],
      ["web-sdk.smartlook.com", "session-replay"],
      ["ct.pinterest.com", "advertising"],
      ["tr.snapchat.com", "advertising"],
      ["www.redditstatic.com", "advertising"],
      ["q.quora.com", "advertising"],
      ["s7.addthis.com", "social"],
      ["platform-api.sharethis.com", "social"],
      ["c.disquscdn.com", "social"],
      ["browser.sentry-cdn.com", "error-monitoring"],
      ["o123.ingest.sentry.io", "error-monitoring"],
      ["api2.branch.io", "mobile-attribution"],
      ["wa.appsflyer.com", "mobile-attribution"],
      ["app.adjust.com", "mobile-attribution"],
      ["sdk.iad-01.braze.com", "customer-engagement"],
      ["cdn.onesignal.com", "customer-engagement"],
      ["cp.pushwoosh.com", "customer-engagement"],
      ["scdn.cxense.com", "customer-data"],
      ["sp.analytics.yahoo.com", "advertising"],
      ["track.adform.net", "advertising"],
      ["x.bidswitch.net", "advertising"],
      ["ssc.33across.com", "advertising"],
      ["g2.gumgum.com", "advertising"],
      ["krk.kargo.com", "advertising"],
      ["t.seedtag.com", "advertising"],
      ["mweb-hb.presage.io", "advertising"],
      ["p.rfihub.com", "advertising"],
      ["pixel.mathtag.com", "advertising"],
      ["pixel.tapad.com", "customer-data"],
      ["id5-sync.com", "customer-data"],
      ["spl.zeotap.com", "customer-data"],
      ["tags.bluekai.com", "customer-data"],
      ["z.moatads.com", "ad-verification"],
      ["pixel.adsafeprotected.com", "ad-verification"],
      ["cdn.doubleverify.com", "ad-verification"],
      ["kantarmedia.com", "audience-measurement"],
      ["www.liveinternet.ru", "audience-measurement"],
    ];
    for (const [host, category] of covered) {
      it(`matches ${host} as ${category}`, () => {
        const entry = list.match(host);
        expect(entry, host).to.not.equal(undefined);
        expect(entry!.category, host).to.equal(category);
        expect(list.match(`https://${host}/some/path.js?x=1`), `URL on ${host}`).to.equal(entry);
      });
    }

    it("leaves consent managers and functional services alone", () => {
      for (const host of [
        "cdn.cookielaw.org",
        "consent.cookiebot.com",
        "cdn.privacy-mgmt.com",
        "fundingchoicesmessages.google.com",
        "fonts.googleapis.com",
        "www.gstatic.com",
        "www.youtube.com",
        "https://www.google.com/recaptcha/api.js",
        "cdn.jsdelivr.net",
        "d1234.cloudfront.net",
      ]) {
        expect(list.match(host), host).to.equal(undefined);
      }
    });

    it("has only lower-case registrable domains, each listed once, with a vendor and a known category", () => {
      const raw = parseYaml(readFileSync(shippedTrackerListPath(), "utf8")) as {
        trackers: { vendor: string; category: string; domains: string[] }[];
      };
      const seen = new Map<string, string>();
      for (const tracker of raw.trackers) {
        expect(tracker.vendor, JSON.stringify(tracker)).to.be.a("string").and.not.equal("");
        expect(TRACKER_CATEGORIES as readonly string[], tracker.vendor).to.include(tracker.category);
        expect(tracker.domains, tracker.vendor).to.be.an("array").that.is.not.empty;
        for (const domain of tracker.domains) {
          expect(domain, tracker.vendor).to.equal(domain.toLowerCase());
          expect(registrableDomain(domain), `${domain} (${tracker.vendor})`).to.equal(domain);
          // Also under the ICANN section alone: nothing shipped sits below a private suffix.
          expect(getDomain(domain), `${domain} (${tracker.vendor}), ICANN only`).to.equal(domain);
          expect(seen.has(domain), `${domain} listed for ${seen.get(domain)} and ${tracker.vendor}`).to.equal(false);
          seen.set(domain, tracker.vendor);
        }
      }
      expect(seen.size).to.equal(list.size);
      expect(seen.size).to.be.at.least(300);
    });

    it("schema's category enum is TRACKER_CATEGORIES", () => {
      const schemaPath = join(shippedTrackerListPath(), "..", "trackers.schema.json");
      const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as { definitions: { category: { enum: string[] } } };
      expect(schema.definitions.category.enum).to.have.members([...TRACKER_CATEGORIES]);
    });

    it("is immutable", () => {
      expect(Object.isFrozen(list)).to.equal(true);
      expect(Object.isFrozen(list.entries)).to.equal(true);
      const entry = list.match("www.google-analytics.com")!;
      expect(Object.isFrozen(entry)).to.equal(true);
      expect(() => (entry.domains as string[]).push("evil.example")).to.throw(TypeError);
      expect(() => ((list.entries as TrackerEntry[]).length = 0)).to.throw(TypeError);
      expect(loadShippedTrackerList()).to.equal(list);
    });
  });

  describe("match", () => {
    const list = TrackerList.fromEntries([
      { vendor: "GA", category: "analytics", domains: ["google-analytics.com"], source: "test" },
      { vendor: "Meta", category: "advertising", domains: ["facebook.net"], source: "test" },
      { vendor: "UK", category: "advertising", domains: ["tracker.co.uk"], source: "test" },
    ]);

    it("matches hosts and subdomains by registrable domain", () => {
      for (const input of [
        "google-analytics.com",
        "www.google-analytics.com",
        "WWW.Google-Analytics.COM",
        "www.google-analytics.com.",
        "www.google-analytics.com:443",
        "https://region1.google-analytics.com/g/collect",
        "http://www.google-analytics.com/analytics.js",
        "HTTPS://SSL.GOOGLE-ANALYTICS.COM/ga.js",
        "https://user:secret@www.google-analytics.com:8443/x",
        "  https://www.google-analytics.com/x  ",
        "wss://www.google-analytics.com/socket",
        "https:\\\\www.google-analytics.com\\x",
      ]) {
        expect(list.match(input)?.vendor, input).to.equal("GA");
      }
      expect(list.match("//connect.facebook.net/en_US/fbevents.js")?.vendor).to.equal("Meta");
      expect(list.match("https://a.b.tracker.co.uk/p.gif")?.vendor).to.equal("UK");
    });

    it("rejects look-alikes, relative URLs and non-network URLs", () => {
      for (const input of [
        "google-analytics.com.evil.example",
        "https://google-analytics.com.evil.example/collect",
        "notgoogle-analytics.com",
        "google-analytics.co",
        "evil-facebook.net",
        "https://example.com/?u=https://www.google-analytics.com/",
        "https://example.com/google-analytics.com/analytics.js",
        "google-analytics.com/analytics.js",
        "/js/app.js",
        "./analytics.js",
        "../google-analytics.com",
        "?x=1",
        "#top",
        "",
        "data:text/javascript,alert(1)",
        "javascript:void(0)",
        "blob:https://www.google-analytics.com/uuid",
        "http://127.0.0.1/x.js",
        "https://[::1]/x.js",
        "co.uk",
        "https://other.co.uk/x",
      ]) {
        expect(list.match(input), input).to.equal(undefined);
      }
    });

    it("answers the same when asked again, also after more hosts than it keeps answers for", () => {
      const hosts = ["www.google-analytics.com", "evil-facebook.net", "/js/app.js", "https://a.b.tracker.co.uk/p.gif"];
      const first = hosts.map((h) => list.match(h)?.vendor);
      expect(first).to.deep.equal(["GA", undefined, undefined, "UK"]);
      for (let i = 0; i < 5000; i++) expect(list.match(`h${i}.example`)).to.equal(undefined);
      for (let round = 0; round < 2; round++) expect(hosts.map((h) => list.match(h)?.vendor)).to.deep.equal(first);
    });

    it("hostOf and registrableDomain", () => {
      expect(hostOf("//cdn.example.com/x")).to.equal("cdn.example.com");
      expect(hostOf("example.com:8080")).to.equal("example.com");
      expect(hostOf("/relative")).to.equal(null);
      expect(hostOf("mailto:a@example.com")).to.equal(null);
      expect(registrableDomain("https://a.b.example.co.uk/")).to.equal("example.co.uk");
      expect(registrableDomain("https://127.0.0.1/")).to.equal(null);
      expect(registrableDomain("https://co.uk/")).to.equal(null);
    });
  });

  describe("TrackerList.fromEntries, merge and filter", () => {
    const a = TrackerList.fromEntries([
      { vendor: "A", category: "analytics", domains: ["a.com", "shared.com"], source: "a.yaml" },
      { vendor: "B", category: "social", domains: ["b.com"], source: "a.yaml" },
    ]);
    const b = TrackerList.fromEntries([{ vendor: "C", category: "advertising", domains: ["shared.com", "c.com"], source: "b.txt" }]);

    it("counts distinct domains", () => {
      expect(a.size).to.equal(3);
      expect(a.domains()).to.deep.equal(["a.com", "b.com", "shared.com"]);
      expect(TrackerList.EMPTY.size).to.equal(0);
      expect(TrackerList.EMPTY.match("a.com")).to.equal(undefined);
    });

    it("merges, the other list winning for shared domains, without changing either list", () => {
      const merged = a.merge(b);
      expect(merged.size).to.equal(4);
      expect(merged.match("www.shared.com")?.vendor).to.equal("C");
      expect(merged.match("a.com")?.vendor).to.equal("A");
      expect(merged.match("a.com")?.domains).to.deep.equal(["a.com"]);
      expect(merged.match("c.com")?.source).to.equal("b.txt");
      expect(a.match("shared.com")?.vendor).to.equal("A");
      expect(a.size).to.equal(3);
      expect(b.size).to.equal(2);
      expect(a.merge(TrackerList.EMPTY)).to.equal(a);
    });

    it("filters by entry", () => {
      const social = a.filter((e) => e.category === "social");
      expect(social.size).to.equal(1);
      expect(social.match("a.com")).to.equal(undefined);
      expect(social.match("b.com")?.vendor).to.equal("B");
    });

    it("rejects bad entries", () => {
      const dup = errorOf(() =>
        TrackerList.fromEntries([
          { vendor: "A", category: "analytics", domains: ["a.com"], source: "x" },
          { vendor: "B", category: "analytics", domains: ["a.com"], source: "y" },
        ]),
      );
      expect(dup).to.include('y: B: "a.com" is already listed for A (x)');
      expect(errorOf(() => TrackerList.fromEntries([{ vendor: "A", category: "analytics", domains: ["www.a.com"], source: "x" }]))).to.include(
        'x: A: "www.a.com" is not a registrable domain; write "a.com"',
      );
      expect(errorOf(() => TrackerList.fromEntries([{ vendor: "A", category: "spyware" as "other", domains: ["a.com"], source: "x" }]))).to.include(
        'category "spyware" is not one of',
      );
      expect(errorOf(() => TrackerList.fromEntries([{ vendor: "A", category: "other", domains: ["A.com"], source: "x" }]))).to.include("lower case");
      expect(errorOf(() => TrackerList.fromEntries([{ vendor: "A", category: "other", domains: [], source: "x" }]))).to.include("has no domains");
    });
  });

  describe("parseTrackerYaml", () => {
    const valid = [
      "# a comment",
      "trackers:",
      "  - vendor: Example Analytics",
      "    category: analytics",
      "    domains: [example-analytics.com, example-cdn.net]",
      "  - vendor: Example Ads",
      "    category: advertising",
      "    domains:",
      "      - example-ads.co.uk",
      "",
    ].join("\n");

    it("parses a valid file", () => {
      const list = parseTrackerYaml(valid, "extra.yaml");
      expect(list.size).to.equal(3);
      expect(list.match("https://cdn.example-analytics.com/a.js")).to.deep.include({ vendor: "Example Analytics", category: "analytics", source: "extra.yaml" });
      expect(list.match("www.example-ads.co.uk")?.category).to.equal("advertising");
    });

    it("reports every problem with file:line:col", () => {
      const text = [
        "trackers:", // 1
        "  - vendor: One", // 2
        "    category: spyware", // 3
        "    domains: [www.one.com, Two.com, one.com, one.com]", // 4
        "    owner: legal", // 5
        "  - vendor: Three", // 6
        "    category: social", // 7
        "    domains: [three.com, foo.local, co.uk]", // 8
        "  - vendor: Four", // 9
        "    category: social", // 10
        "    domains: [three.com]", // 11
        "  - vendor: Five", // 12
        "    category: social", // 13
        "", // 14
      ].join("\n");
      const message = errorOf(() => parseTrackerYaml(text, "t.yaml"));
      expect(message).to.include('t.yaml:3:15: category "spyware" is not one of: advertising,');
      expect(message).to.include('t.yaml:4:15: "www.one.com" is not a registrable domain; write "one.com"');
      expect(message).to.include('t.yaml:4:28: domain "Two.com" is not a lower-case domain name');
      expect(message).to.include('t.yaml:4:46: "domains" lists "one.com" twice');
      expect(message).to.include('t.yaml:5:5: unknown key "owner" in a tracker');
      expect(message).to.include('t.yaml:8:26: "foo.local" does not end in a known public suffix');
      expect(message).to.include("t.yaml:8:37: ");
      expect(message).to.include('t.yaml:11:15: "three.com" is already listed at line 8 (Three)');
      expect(message).to.include('t.yaml:12:5: a tracker is missing "domains"');
      // sorted by position
      expect(message.indexOf("t.yaml:3:15")).to.be.lessThan(message.indexOf("t.yaml:11:15"));
    });

    it("reports YAML syntax errors, duplicate keys and wrong shapes", () => {
      expect(errorOf(() => parseTrackerYaml("trackers: [\n", "s.yaml"))).to.match(/s\.yaml:2:1: /);
      expect(errorOf(() => parseTrackerYaml("trackers: []\ntrackers: []\n", "d.yaml"))).to.include("d.yaml:2:1: Map keys must be unique; each key may appear once");
      expect(errorOf(() => parseTrackerYaml("", "e.yaml"))).to.include('e.yaml:1:1: the file must be a set of keys with a "trackers" list');
      expect(errorOf(() => parseTrackerYaml("trackers: []\n", "m.yaml"))).to.include('m.yaml:1:11: "trackers" must not be empty');
      expect(errorOf(() => parseTrackerYaml("trackers:\n  - vendor: A\n    category: other\n    domains: a.com\n", "w.yaml"))).to.include(
        'w.yaml:4:14: "domains" must be a list',
      );
      expect(errorOf(() => parseTrackerYaml("tracker: []\n", "k.yaml"))).to.include('k.yaml:1:1: unknown key "tracker"');
    });
  });

  describe("parseDisconnectServices", () => {
    const services = JSON.stringify(
      {
        license: "GPL-3.0",
        categories: {
          Advertising: [
            { "Ad Co": { "https://adco.example/": ["adco.com", "cdn.adco.net", "ads.adco.com"], performance: "true" } },
            { Twice: { "https://twice.example/": ["adco.com", "twice.com"] } },
          ],
          Analytics: [
            { Replay: { "https://replay.example/": ["replay.io"], "session-replay": "true" } },
            { Metrica: { "http://www.yandex.com/": ["mc.yandex.ru", "yandex.ru/clck/click"] } },
          ],
          Content: [{ Video: { "https://video.example/": ["video-cdn.com"] } }],
          FingerprintingInvasive: [{ Fp: { "https://fp.example/": ["fp.com"] } }],
          EmailAggressive: [{ Mail: { "https://mail.example/": ["mailtrack.com"] } }],
          Disconnect: [{ Big: { "https://big.example/": ["big.com"] } }],
          ConsentManagers: [{ Cmp: { "https://cmp.example/": ["cmp.com"] } }],
        },
      },
      null,
      2,
    );

    it("maps categories, reduces hosts, skips paths, metadata and unknown categories", () => {
      const list = parseDisconnectServices(services, "services.json");
      expect(list.match("adco.com")).to.deep.include({ vendor: "Ad Co", category: "advertising", source: "services.json" });
      expect(list.match("x.adco.net")?.vendor).to.equal("Ad Co");
      expect(list.match("twice.com")?.vendor).to.equal("Twice");
      expect(list.match("replay.io")?.category).to.equal("session-replay");
      expect(list.match("mc.yandex.ru")?.category).to.equal("analytics");
      expect(list.match("video-cdn.com")?.category).to.equal("embedded-content");
      expect(list.match("fp.com")?.category).to.equal("fingerprinting");
      expect(list.match("mailtrack.com")?.category).to.equal("email-tracking");
      expect(list.match("big.com")?.category).to.equal("advertising");
      expect(list.match("cmp.com")).to.equal(undefined);
      expect(list.size).to.equal(9);
      expect(list.ignored).to.equal(2); // the path entry and the unknown category's service
      expect(list.warnings).to.deep.equal(['services.json: unknown Disconnect category "ConsentManagers" skipped']);
    });

    it("reports bad JSON and bad shapes with line and column", () => {
      expect(errorOf(() => parseDisconnectServices('{\n  "categories": {\n    "Advertising": [1,,]\n  }\n}', "bad.json"))).to.match(
        /bad\.json:3:\d+: not valid JSON: /,
      );
      expect(errorOf(() => parseDisconnectServices("", "empty.json"))).to.include("empty.json: not valid JSON: Unexpected end of JSON input");
      expect(errorOf(() => parseDisconnectServices('{"license": "x"}', "n.json"))).to.include('n.json:1:1: expected an object with a "categories" object');
      const shapes = [
        "{",
        '  "categories": {',
        '    "Advertising": [',
        '      {"A": {"https://a/": ["a.com", "not a host"]}},',
        '      "just text"',
        "    ],",
        '    "Social": {"B": {}}',
        "  }",
        "}",
      ].join("\n");
      const message = errorOf(() => parseDisconnectServices(shapes, "s.json"));
      expect(message).to.include('s.json:4:38: A: "not a host" is not a host name');
      expect(message).to.include("s.json:5:7: a service must be");
      expect(message).to.include('s.json:7:15: category "Social" must be a list of services');
    });
  });

  describe("parseHostList", () => {
    it("reads plain hosts and hosts-file lines, reduced to registrable domains", () => {
      const text = [
        "# Title: test list",
        "127.0.0.1 localhost",
        "::1 localhost ip6-localhost ip6-loopback",
        "255.255.255.255 broadcasthost",
        "fe80::1%lo0 localhost",
        "0.0.0.0 0.0.0.0",
        "0.0.0.0 ads.example.com tracker.example.net  # two hosts",
        "127.0.0.1\tpixel.example.org",
        "example.com",
        "   www.Example-Two.CO.UK.   ",
        "*.wild.example.info",
        "",
      ].join("\r\n");
      const list = parseHostList(`\ufeff${text}`, "hosts.txt");
      expect(list.domains()).to.deep.equal(["example-two.co.uk", "example.com", "example.info", "example.net", "example.org"]);
      expect(list.match("ads.example.com")).to.deep.include({ vendor: "example.com", category: "other", source: "hosts.txt" });
      expect(list.ignored).to.equal(7);
      expect(parseHostList("a.example.com\n", "x", { category: "advertising" }).match("example.com")?.category).to.equal("advertising");
    });

    it("rejects lines that are not host names, with their line number", () => {
      expect(errorOf(() => parseHostList("good.com\n\n<html>\n", "h.txt"))).to.include('h.txt:3:1: "<html>" is not a host name');
      expect(errorOf(() => parseHostList("good.com\nnot a host\n", "h.txt"))).to.include('h.txt:2:5: expected one host name per line, found "not a host"');
      expect(errorOf(() => parseHostList("1.2.3.4 evil.com\n", "h.txt"))).to.include("h.txt:1:1: maps hosts to 1.2.3.4; only the blocking addresses");
      expect(errorOf(() => parseHostList("# x\n0.0.0.0\n", "h.txt"))).to.include("h.txt:2:1: address 0.0.0.0 without a host name");
      expect(errorOf(() => parseHostList("co.uk\n", "h.txt"))).to.include('h.txt:1:1: "co.uk" is a public suffix');
      expect(errorOf(() => parseHostList("printer.local\n", "h.txt"))).to.include('"printer.local" does not end in a known public suffix');
      expect(errorOf(() => parseHostList("0.0.0.0 ok.com -bad.com\n", "h.txt"))).to.include('h.txt:1:16: "-bad.com" is not a host name');
    });
  });

  describe("parseAdblockList", () => {
    it("takes ||host^ rules and counts the rest", () => {
      const text = [
        "[Adblock Plus 2.0]",
        "! Title: test",
        "! Expires: 4 days",
        "||ads.example.com^",
        "||track.example.net^$third-party",
        "||cdn.example.org^$script,~image,important",
        "||site.example.info^$domain=news.example",
        "||popup.example.biz^$popup",
        "@@||good.example.com^",
        "example.com##.ad-banner",
        "##.sponsored",
        "example.com#@#.ad",
        "||example.com/ads/*",
        "/banner/ads.",
        "||paths.example.io^*.js",
        "||192.168.0.1^",
        "# a uBlock comment",
        "",
      ].join("\n");
      const list = parseAdblockList(text, "easy.txt");
      expect(list.domains()).to.deep.equal(["example.com", "example.net", "example.org"]);
      expect(list.match("https://x.ads.example.com/a.js")?.source).to.equal("easy.txt");
      expect(list.ignored).to.equal(10);
    });

    it("rejects garbage host rules with their line number", () => {
      expect(errorOf(() => parseAdblockList("! x\n||^\n", "a.txt"))).to.include('a.txt:2:3: "||^" has no host between "||" and "^"');
      expect(errorOf(() => parseAdblockList("! x\n\n||bad host.com^\n", "a.txt"))).to.include('a.txt:3:3: "bad host.com" is not a host name');
      expect(errorOf(() => parseAdblockList("||intranet.corp^\n", "a.txt"))).to.include('a.txt:1:3: "intranet.corp" does not end in a known public suffix');
    });
  });

  describe("loadTrackerListFile", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "trackers-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, content: string | Buffer): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it("picks the parser by extension and content", () => {
      const yaml = write("extra.yml", "trackers:\n  - vendor: X\n    category: other\n    domains: [x-tracker.com]\n");
      expect(loadTrackerListFile(yaml).match("www.x-tracker.com")?.vendor).to.equal("X");
      const json = write("services.json", JSON.stringify({ categories: { Analytics: [{ S: { "https://s/": ["s-tracker.com"] } }] } }));
      expect(loadTrackerListFile(json).match("s-tracker.com")?.category).to.equal("analytics");
      const adblock = write("easyprivacy.txt", "[Adblock Plus 2.0]\n||a-tracker.com^\n");
      expect(loadTrackerListFile(adblock).match("a-tracker.com")?.source).to.equal(adblock);
      const adblock2 = write("list", "# hosts-looking comment\n||b-tracker.com^$third-party\n");
      expect(loadTrackerListFile(adblock2).match("b-tracker.com")).to.not.equal(undefined);
      const hosts = write("hosts", "0.0.0.0 h-tracker.com\n");
      expect(loadTrackerListFile(hosts, { category: "advertising" }).match("h-tracker.com")?.category).to.equal("advertising");
    });

    it("names the file when it cannot be read or is invalid", () => {
      const missing = join(dir, "missing.yaml");
      expect(errorOf(() => loadTrackerListFile(missing))).to.include(`${missing}: no such file`);
      const folder = join(dir, "folder.txt");
      mkdirSync(folder);
      expect(errorOf(() => loadTrackerListFile(folder))).to.include(`${folder}: is a folder`);
      const binary = write("binary.txt", Buffer.from([0xff, 0xfe, 0x00, 0x80]));
      expect(errorOf(() => loadTrackerListFile(binary))).to.include(`${binary}: file is not UTF-8 text`);
      const bad = write("bad.txt", "ok.com\nthis is not a host list\n");
      expect(errorOf(() => loadTrackerListFile(bad))).to.include(`${bad}:2:6: expected one host name per line`);
      const badYaml = write("bad.yaml", "trackers:\n  - vendor: X\n    category: nope\n    domains: [x.com]\n");
      expect(errorOf(() => loadTrackerListFile(badYaml))).to.include(`${badYaml}:3:15: category "nope"`);
    });
  });
});
