import type { Region } from "../region/types.js";
import type { Decision } from "../rules/decide.js";
import { requireCjs } from "../require-cjs.js";

/** The part of @opentelemetry/api used here. */
interface OtelApi {
  readonly trace: { getActiveSpan(): { setAttributes(attributes: Record<string, string | readonly string[]>): unknown } | undefined };
}

/** Sets the decision's attributes on the request's active span. */
export type SpanAnnotator = (id: string, region: Region, decision: Decision) => void;

/**
 * @opentelemetry/api when the app has it (an optional peer), else null: tracing is the app's to set
 * up, and without the package there is no span to annotate.
 */
function loadOtel(): OtelApi | null {
  try {
    return requireCjs("@opentelemetry/api") as OtelApi;
  } catch {
    return null;
  }
}

/**
 * Where @opentelemetry/api 1.x keeps what the app registered (its context manager among them).
 * Until something is there, no span can be active, so the package need not even be loaded.
 */
const OTEL_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/**
 * Annotates the active span with the region, the rules that applied, the revision and the decision
 * id. `api` given: that one, null for none. Left out: @opentelemetry/api, loaded at the first
 * request after the app has registered its tracing (nothing without the package).
 */
export function spanAnnotator(api?: OtelApi | null): SpanAnnotator | null {
  if (api === null) return null;
  let otel: OtelApi | null | undefined = api;
  return (id, region, decision) => {
    if (otel === undefined) {
      if ((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL] === undefined) return;
      otel = loadOtel();
    }
    if (otel === null) return;
    const span = otel.trace.getActiveSpan();
    if (!span) return;
    span.setAttributes({
      "geo_compliance.decision_id": id,
      "geo_compliance.region": region.country === null ? "unknown" : region.subdivision ?? region.country,
      "geo_compliance.region_source": region.source,
      "geo_compliance.rules": decision.matched,
      "geo_compliance.revision": decision.revision,
    });
  };
}
