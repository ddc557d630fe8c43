import { createRequire } from "node:module";
import type { Region } from "../region/types.js";
import type { Decision } from "../rules/decide.js";

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
    return createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;
  } catch {
    return null;
  }
}

/** Annotates the active span with the region, the rules that applied, the revision and the decision id; null without OpenTelemetry. */
export function spanAnnotator(api: OtelApi | null = loadOtel()): SpanAnnotator | null {
  if (api === null) return null;
  return (id, region, decision) => {
    const span = api.trace.getActiveSpan();
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
