import { context, trace, ROOT_CONTEXT, type Context, type ContextManager, type Span } from "@opentelemetry/api";
import { expect } from "chai";
import express from "express";
import { AsyncLocalStorage } from "node:async_hooks";
import { DECISION_HEADER, geoCompliance, shippedRules } from "../src/index.js";
import { spanAnnotator } from "../src/log/trace.js";
import { listen } from "./support/server.js";

/** The smallest context manager: what an OpenTelemetry SDK registers, so that a span is active in a request. */
class StorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** What an instrumentation does: a span for each request, active while the handlers run; `setAttributes` is the test's. */
function activeSpan(setAttributes: (attributes: Record<string, unknown>) => void) {
  return (_req: unknown, _res: unknown, next: () => void): void => {
    const span = trace.wrapSpanContext({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 });
    const recording: Span = Object.assign(Object.create(span) as Span, { setAttributes: (a: Record<string, unknown>) => (setAttributes(a), recording) });
    context.with(trace.setSpan(context.active(), recording), next);
  };
}

describe("OpenTelemetry span attributes", () => {
  before(() => context.setGlobalContextManager(new StorageContextManager()));
  after(() => context.disable());

  it("sets the region, the rules, the revision and the decision id on the request's active span", async () => {
    const recorded: Array<Record<string, unknown>> = [];
    const compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: false, watch: false });
    const app = express();
    app.use(activeSpan((a) => recorded.push(a)));
    app.use(compliance);
    app.get("/", (_req, res) => void res.type("html").send("<p>hi</p>"));
    const server = await listen(app);
    try {
      const ru = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": "77.88.8.8" } });
      await ru.text();
      const us = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": "8.8.8.8" } });
      await us.text();
      expect(recorded).to.have.length(2);
      expect(recorded[0]).to.deep.equal({
        "geo_compliance.decision_id": ru.headers.get(DECISION_HEADER),
        "geo_compliance.region": "RU",
        "geo_compliance.region_source": "geoip",
        "geo_compliance.rules": ["ru-undesirable-organization"],
        "geo_compliance.revision": compliance.status().revision,
      });
      expect(recorded[1]).to.include({ "geo_compliance.region": "US", "geo_compliance.decision_id": us.headers.get(DECISION_HEADER) });
      expect(recorded[1]!["geo_compliance.rules"]).to.deep.equal([]);
    } finally {
      await server.close();
      await compliance.close();
    }
  });

  it("does nothing without the package; a tracer that throws never fails the request", async () => {
    expect(spanAnnotator(null)).to.equal(null);
    const compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: false, watch: false });
    const app = express();
    app.use(
      activeSpan(() => {
        throw new Error("exporter gone");
      }),
    );
    app.use(compliance);
    app.get("/", (_req, res) => void res.type("html").send("<html><body><p>hi</p></body></html>"));
    const server = await listen(app);
    try {
      const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": "77.88.8.8" } });
      expect(res.status).to.equal(200);
      expect(await res.text()).to.contain("geo-compliance-notice");
    } finally {
      await server.close();
      await compliance.close();
    }
  });
});
