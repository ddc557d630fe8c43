import type { TrackerMatcher } from "./matcher.js";

/**
 * Calls that the usual inline tracker snippets make, each with a host of the vendor it belongs to,
 * so that the vendor is blocked only when the reader's rule blocks that host (an allowlist or an
 * operator's list that leaves the vendor out lets the snippet run).
 */
const CALLS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bgtag\s*\(/, "googletagmanager.com"],
  [/\bfbq\s*\(/, "facebook.net"],
  [/\bym\s*\(\s*\d/, "yandex.ru"],
  [/\b_tmr\b/, "mail.ru"],
  [/\btwq\s*\(/, "ads-twitter.com"],
  [/\blintrk\b|\b_linkedin_partner_id\b/, "licdn.com"],
  [/\bttq\s*\.\s*(?:load|page|track|identify)\s*\(/, "tiktok.com"],
  [/\bhj\s*\(|\b_hjSettings\b/, "hotjar.com"],
  [/\bclarity\s*\(|["']clarity["']/, "clarity.ms"],
  [/\b_qevents\b|\b__qc\b/, "quantserve.com"],
  [/\b_comscore\b|\bCOMSCORE\s*\./, "scorecardresearch.com"],
  [/\b_sf_async_config\b/, "chartbeat.com"],
  [/\b_taboola\b/, "taboola.com"],
  [/\bOBR\s*\.\s*extern\b/, "outbrain.com"],
  [/\bcriteo_q\b/, "criteo.com"],
  [/\bNREUM\b/, "nr-data.net"],
  [/\bmixpanel\s*\.\s*init\s*\(/, "mixpanel.com"],
  [/\bamplitude\s*\.\s*(?:init|getInstance)\s*\(/, "amplitude.com"],
  [/\banalytics\s*\.\s*load\s*\(\s*["']/, "segment.com"],
  [/\buetq\b/, "bing.com"],
  [/\bpintrk\s*\(/, "pinimg.com"],
  [/\bsnaptr\s*\(/, "snapchat.com"],
  [/\brdt\s*\(\s*["'](?:init|track)/, "redditstatic.com"],
  [/\bVK\s*\.\s*Retargeting\b/, "vk.com"],
];

// Host names inside a script: after a scheme or `//` (also JSON-escaped `\/\/`), or quoted on their own.
const HOST_IN_SCRIPT = /(?:(?:https?:)?\\?\/\\?\/|["'`])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62})(?=[/"'`:?#\\]|$)/gi;

/**
 * The tracker an inline script loads or calls, or null. Looks for the vendors' call signatures
 * (gtag, fbq, ym, _tmr, twq, lintrk, ttq, hj, clarity…) and for host names the reader's rule
 * blocks. Code that builds a host name piece by piece is left to the guard script in the page.
 */
export function inlineScriptTracker(code: string, matcher: TrackerMatcher): string | null {
  for (const [call, host] of CALLS) {
    if (call.test(code)) {
      const vendor = matcher.blocksHost(host);
      if (vendor) return vendor;
    }
  }
  HOST_IN_SCRIPT.lastIndex = 0;
  for (let m = HOST_IN_SCRIPT.exec(code); m !== null; m = HOST_IN_SCRIPT.exec(code)) {
    const vendor = matcher.blocksHost(m[1]!.toLowerCase());
    if (vendor) return vendor;
  }
  return null;
}
