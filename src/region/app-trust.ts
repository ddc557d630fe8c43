import type { IncomingMessage } from "node:http";
import { compileTrust, normalizeAddress, type TrustFunction, type TrustProxy } from "./client-address.js";
import type { ResolvedRegion } from "./resolve.js";

/** What Express keeps on an app: `trust proxy` as set, and compiled (`trust proxy fn`). */
interface ExpressApp {
  get(setting: string): unknown;
}

function expressApp(req: IncomingMessage): ExpressApp | null {
  const app = (req as { app?: unknown }).app;
  return typeof app === "function" || (typeof app === "object" && app !== null) ? (typeof (app as ExpressApp).get === "function" ? (app as ExpressApp) : null) : null;
}

/** Peers a proxy set-up is made of, at the hops a chain of proxies reaches. */
const PROBES = ["127.0.0.1", "::1", "10.1.2.3", "172.16.1.2", "192.168.1.2", "100.64.0.1", "169.254.1.2", "fc00::1", "fe80::1", "203.0.113.7", "198.51.100.7", "2001:db8::7", "8.8.8.8"];
const HOPS = [0, 1, 2, 3];

/** The first peer and hop two trust settings answer differently for, or null when they agree on all. */
export function trustDifference(a: TrustFunction, b: TrustFunction): { address: string; hop: number; first: boolean } | null {
  for (const hop of HOPS) {
    for (const address of PROBES) {
      const first = Boolean(a(address, hop));
      if (first !== Boolean(b(address, hop))) return { address, hop, first };
    }
  }
  return null;
}

export interface AppTrustWarning {
  readonly option: string;
  readonly app: string;
  readonly example: string;
}

interface Resolving {
  resolve(req: IncomingMessage): ResolvedRegion;
}

export interface AppTrustOptions {
  /** The `trustProxy` option, or undefined to follow each app's `trust proxy` setting. */
  readonly trustProxy: TrustProxy | undefined;
  /** Builds a resolver for one trust setting; `stable`: the setting answers the same every time. */
  readonly resolverFor: (trust: TrustFunction, stable: boolean) => Resolving;
  /** Both are set and answer differently: told once per app, at its first request. */
  readonly onMismatch: (warning: AppTrustWarning) => void;
}

const describeSetting = (value: unknown): string => (typeof value === "function" ? "a function" : JSON.stringify(value));

/**
 * Which peers may set X-Forwarded-For: the `trustProxy` option when given, else the `trust proxy`
 * setting of the Express app the request came through (Express 4 and 5 both keep it compiled as
 * `trust proxy fn`), so the middleware finds the same reader as `req.ip`. The app is known only at
 * its first request, so that is when a disagreement between the two is reported. Outside Express,
 * without the option, no proxy is trusted.
 */
export class AppTrust implements Resolving {
  private readonly fixed: Resolving | null;
  private readonly fixedTrust: TrustFunction | null;
  private readonly untrusting: Resolving;
  /** Per app: its resolver (following the app), or true once it has been compared with the option. */
  private readonly apps = new WeakMap<object, Resolving | true>();

  constructor(private readonly options: AppTrustOptions) {
    this.fixedTrust = options.trustProxy === undefined ? null : compileTrust(options.trustProxy);
    this.fixed = this.fixedTrust && options.resolverFor(this.fixedTrust, typeof options.trustProxy !== "function");
    this.untrusting = this.fixed ?? options.resolverFor(() => false, true);
  }

  resolve(req: IncomingMessage): ResolvedRegion {
    const app = expressApp(req);
    if (app === null) return this.untrusting.resolve(req);
    const known = this.apps.get(app);
    if (known !== undefined) return known === true ? this.fixed!.resolve(req) : known.resolve(req);
    return this.first(app).resolve(req);
  }

  private first(app: ExpressApp): Resolving {
    const compiled = app.get("trust proxy fn");
    const setting = app.get("trust proxy");
    const appTrust: TrustFunction | null = typeof compiled === "function" ? (address, hop) => Boolean((compiled as TrustFunction)(address, hop)) : null;
    if (this.fixed) {
      this.apps.set(app, true);
      // An app that never set `trust proxy` (Express's default, false) has said nothing to disagree with.
      if (appTrust && setting !== false && setting !== undefined) {
        const difference = trustDifference(this.fixedTrust!, (address, hop) => appTrust(normalizeAddress(address), hop));
        if (difference) {
          const [yes, no] = difference.first ? ["the trustProxy option", "the app"] : ["the app", "the trustProxy option"];
          this.options.onMismatch({
            option: describeSetting(this.options.trustProxy),
            app: describeSetting(setting),
            example: `${yes} trusts ${difference.address} at hop ${difference.hop}, ${no} does not`,
          });
        }
      }
      return this.fixed;
    }
    const resolver = appTrust ? this.options.resolverFor(appTrust, typeof setting !== "function") : this.untrusting;
    this.apps.set(app, resolver);
    return resolver;
  }
}
