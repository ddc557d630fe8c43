import type { TrackerMatcher } from "./matcher.js";

/**
 * Prehiding ("anti-flicker") snippets hide the page until their testing tool has run, and give up
 * only after a timeout (seconds) or never. With the tool blocked it never runs, so for a reader
 * whose rule blocks it the snippet and its hiding style go, and the page shows at once.
 */

/** The ids the tools give their hiding `<style>` elements, each with a host of its tool (a Map: a page's id may be `constructor`). */
const STYLE_IDS: ReadonlyMap<string, string> = new Map([
  ["at-body-style", "omtrdc.net"], // Adobe Target (at.js)
  ["alloy-prehiding", "adobedc.net"], // Adobe Experience Platform Web SDK
  ["_vis_opt_path_hides", "visualwebsiteoptimizer.com"], // VWO
  ["chartbeat-flicker-control-style", "chartbeat.com"],
]);

/** What the snippets' inline scripts say, each with a host of its tool. */
const SCRIPTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/["']async-hide["']/, "googleoptimize.com"], // Google Optimize: adds the class that `.async-hide{opacity:0}` hides
  [/\b_vwo_code\b|\b_vis_opt_path_hides\b/, "visualwebsiteoptimizer.com"],
  [/\bat-body-style\b|\bat-element-marker\b/, "omtrdc.net"],
  [/\balloy-prehiding\b/, "adobedc.net"],
  [/\boptimizely\b/i, "optimizely.com"],
  [/\bflickerControl\b/, "chartbeat.com"],
];

/** The tool a hiding style element belongs to, when this reader's rule blocks it. */
export function prehidingStyle(id: string, matcher: TrackerMatcher): string | null {
  const host = STYLE_IDS.get(id);
  return host === undefined ? null : matcher.blocksHost(host);
}

/** The tool an inline script's prehiding belongs to, when this reader's rule blocks it. */
export function prehidingScript(code: string, matcher: TrackerMatcher): string | null {
  for (const [re, host] of SCRIPTS) {
    if (re.test(code)) {
      const vendor = matcher.blocksHost(host);
      if (vendor) return vendor;
    }
  }
  return null;
}

/**
 * Put before a neutralized prehiding snippet: whatever hiding style the page has for it, the root
 * and the body are shown. Two id selectors outweigh the tools' (`body`, `.async-hide`, one id).
 */
export const UNHIDE_STYLE =
  "<style data-geo-compliance-unhide>:root:not(#geo-compliance-0):not(#geo-compliance-0),:root:not(#geo-compliance-0):not(#geo-compliance-0)>body{opacity:1!important;visibility:visible!important}</style>";
