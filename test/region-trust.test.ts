import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { request as httpRequest, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { geoCompliance, shippedRules, type GeoComplianceOptions } from "../src/index.js";
import { RU } from "./support/action-site.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

/**
 * A reverse proxy on 127.0.0.1 as nginx is set up in front of an app: it appends the address of its
 * own peer to X-Forwarded-For. The test client plays a trusted edge in front of it by sending the
 * reader's address.
 */
function proxyTo(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const forwarded = [req.headers["x-forwarded-for"], req.socket.remoteAddress].filter(Boolean).join(", ");
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, "x-forwarded-for": forwarded } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))) });
    }),
  );
}

interface Seen {
  readonly ip: string;
  readonly country: string | null;
  readonly source: string;
}

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`trust proxy: the app's own setting (${name})`, () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      if ((warning as { code?: string }).code === "GEO_COMPLIANCE_TRUST_PROXY") warnings.push(warning);
    };
    before(() => process.on("warning", onWarning));
    after(() => process.off("warning", onWarning));
    beforeEach(() => (warnings.length = 0));

    async function behindProxy(appSetting: unknown, options: Partial<GeoComplianceOptions> = {}) {
      const log = new MemoryLog();
      const compliance = geoCompliance({ rules: shippedRules, decisionLog: { destination: log }, watch: false, ...options });
      const app = express();
      if (appSetting !== undefined) app.set("trust proxy", appSetting);
      app.use(compliance);
      app.get("/who", (req, res) => {
        const region = res.locals.geoCompliance!.region;
        res.json({ ip: req.ip, country: region.country, source: region.source });
      });
      const server: Running = await listen(app);
      const proxy = await proxyTo(server.url);
      return {
        log,
        who: async (): Promise<Seen> => (await (await fetch(`${proxy.url}/who`, { headers: { "X-Forwarded-For": RU } })).json()) as Seen,
        close: async () => {
          await proxy.close();
          await server.close();
          await compliance.close();
        },
      };
    }

    it("without trustProxy, follows app.set(\"trust proxy\"): the reader is req.ip", async () => {
      const site = await behindProxy("loopback");
      try {
        const seen = await site.who();
        expect(seen.ip).to.equal(RU);
        expect(seen).to.include({ country: "RU", source: "geoip" });
      } finally {
        await site.close();
      }
      expect(warnings).to.have.length(0);
    });

    it("follows a hop count the same way", async () => {
      const site = await behindProxy(2);
      try {
        expect(await site.who()).to.include({ ip: RU, country: "RU" });
      } finally {
        await site.close();
      }
    });

    it("with neither set, believes no X-Forwarded-For: the proxy is the reader, as req.ip says", async () => {
      const site = await behindProxy(undefined);
      try {
        const seen = await site.who();
        expect(seen.ip).to.equal("127.0.0.1");
        expect(seen.country).to.equal(null);
      } finally {
        await site.close();
      }
    });

    it("with both set and agreeing, says nothing", async () => {
      const site = await behindProxy("loopback", { trustProxy: ["loopback"] });
      try {
        expect(await site.who()).to.include({ ip: RU, country: "RU" });
      } finally {
        await site.close();
      }
      expect(warnings).to.have.length(0);
      expect(site.log.lines.filter((l) => l.event === "trust-proxy-mismatch")).to.have.length(0);
    });

    it("with both set and disagreeing, warns once at the app's first request, and uses the option", async () => {
      const site = await behindProxy("loopback", { trustProxy: ["10.0.0.0/8"] });
      try {
        for (let i = 0; i < 3; i++) expect((await site.who()).country, "the option decides").to.equal(null);
        await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
      } finally {
        await site.close();
      }
      expect(warnings).to.have.length(1);
      expect(warnings[0]!.message).to.match(/trustProxy option \(\["10\.0\.0\.0\/8"\]\) and the app's "trust proxy" setting \("loopback"\) disagree: the app trusts 127\.0\.0\.1 at hop 0/);
      const lines = site.log.lines.filter((l) => l.event === "trust-proxy-mismatch");
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: 40, option: '["10.0.0.0/8"]', app_setting: '"loopback"' });
    });
  });
}

describe("trust proxy outside Express", () => {
  it("without trustProxy, a plain node:http server trusts no proxy; with it, the option applies", async () => {
    for (const [trustProxy, country] of [[undefined, null], ["loopback", "RU"]] as const) {
      const log = new MemoryLog();
      const compliance = geoCompliance({ rules: shippedRules, decisionLog: { destination: log }, watch: false, ...(trustProxy ? { trustProxy } : {}) });
      const server = createServer((req, res) => compliance(req, res, () => res.end("ok")));
      const running = await listen({ listen: (port: number, host: string, cb: () => void) => server.listen(port, host, cb) });
      try {
        await (await fetch(`${running.url}/`, { headers: { "X-Forwarded-For": RU } })).text();
        const [line] = await log.waitFor(1);
        expect((line!.region as { country: string | null }).country, String(trustProxy)).to.equal(country);
      } finally {
        await running.close();
        await compliance.close();
      }
    }
  });
});
