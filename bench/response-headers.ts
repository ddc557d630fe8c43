// What the header stage adds to one response, measured in-process beside the same response without
// it: the on-headers hook with cache marking (every reader on a path rules can change), and the full
// set for a reader whose trackers are off (privacy headers, CSP, cookie filtering, cache marking).
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { CacheSafety } from "../src/actions/cache.js";
import { ResponseTap } from "../src/http/intercept.js";
import { ResponseActions, type ResponseContext } from "../src/http/response-actions.js";
import type { Action } from "../src/rules/actions.js";
import { compileRules } from "../src/rules/compile.js";
import { loadRules, ruleFiles } from "../src/rules/load.js";
import { shippedRulesDir } from "../src/package-root.js";

const N = Number(process.env.BENCH_ITERATIONS ?? 100_000);
const ruleset = compileRules(loadRules(shippedRulesDir()), ruleFiles(shippedRulesDir()), new Date());
const actions = new ResponseActions(new CacheSafety());
const RULE = "ru-undesirable-organization";
const TRACKERS: Action[] = [
  { kind: "trackers", rule: RULE, mode: "third-party", allow: ["static-cdn.example"] },
  { kind: "cookies", rule: RULE, drop: ["ab_*"] },
];

function response(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = "GET";
  req.url = "/articles/1";
  req.headers = { host: "news.example", accept: "text/html" };
  return { req, res: new ServerResponse(req) };
}

/** What an app does to its headers, then the moment they are written. */
function appWrites(res: ServerResponse): void {
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Cache-Control", "public, max-age=60");
  res.setHeader("Set-Cookie", ["_ga=GA1.1.1; Path=/", "session=abc; Path=/; HttpOnly"]);
  res.writeHead(200);
}

function time(label: string, work: () => void): number {
  for (let i = 0; i < 2000; i++) work();
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) work();
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${label.padEnd(54)} ${(ns / 1000).toFixed(2).padStart(7)} µs`);
  return ns;
}

function withActions(list: readonly Action[]) {
  return (): void => {
    const { req, res } = response();
    const ctx: ResponseContext = {
      req,
      res,
      method: "GET",
      path: "/articles/1",
      region: { country: "US", subdivision: null, source: "geoip" },
      decision: { revision: ruleset.revision, region: { country: "US", subdivision: null, source: "geoip" }, matched: [], actions: list, log: "full", rewritesBody: false },
      decisionId: "bench",
      ruleset,
      now: new Date(),
      problems: [],
      // As the middleware does: the tap it made for the response.
      tap: ResponseTap.create(res),
    };
    actions.onHeaders(ctx);
    appWrites(res);
  };
}

export async function run(): Promise<void> {
  console.log(`${N} responses each, in-process (no sockets), per response:`);
  const plain = time("headers written, no middleware", () => appWrites(response().res));
  const alone = time("+ hook and cache marking (reader left alone)", withActions([]));
  const trackers = time("+ trackers off: privacy headers, CSP, cookies, cache", withActions(TRACKERS));
  console.log(`added: ${((alone - plain) / 1000).toFixed(2)} µs for a reader left alone, ${((trackers - plain) / 1000).toFixed(2)} µs with trackers off`);
}
