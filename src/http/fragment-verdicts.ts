import type { TrackerList } from "../actions/trackers/list.js";
import type { TrackerMatcher } from "../actions/trackers/matcher.js";

/** Text kept per kind of fragment and tracker list; past it, that map starts again. */
const KEPT_BYTES = 4 * 1024 * 1024;
/** Longer fragments are judged every time: one would fill much of the map. */
const LONGEST = 256 * 1024;

/**
 * Verdicts on the parts of a page that are judged as text (an inline script, a `<noscript>`'s or a
 * `<style>`'s content, a start tag), by tracker list, then by everything else they depend on and
 * the text itself. A site sends the same such parts on every request even when its pages differ
 * per request (a CSP nonce sits in one tag; a CSRF token or a timestamp in a few), and judging one
 * takes longer than finding it in a map.
 */
export class FragmentVerdicts<V extends {} | null> {
  /** By list, then by the rules and the page's host (what the hosts' verdicts depend on), then by context, then by text. */
  private readonly byList = new WeakMap<TrackerList, Shelf<V>>();
  /** Each matcher's maps by context, found once: lookups then hash only strings the caller already has. */
  private readonly byMatcher = new WeakMap<TrackerMatcher, { readonly shelf: Shelf<V>; readonly byContext: Map<string, Map<string, V>> }>();

  /** `judge()`'s verdict on `text`, judged once for these trackers and `context` (what else the verdict depends on). `judge` must depend on nothing else. */
  verdict(trackers: TrackerMatcher, context: string, text: string, judge: () => V): V {
    if (text.length > LONGEST) return judge();
    let mine = this.byMatcher.get(trackers);
    if (mine === undefined) {
      let shelf = this.byList.get(trackers.list);
      if (shelf === undefined) this.byList.set(trackers.list, (shelf = { bytes: 0, byHosts: new Map() }));
      const hosts = `${trackers.key}\n${trackers.firstPartyHost ?? ""}`;
      let byContext = shelf.byHosts.get(hosts);
      if (byContext === undefined) shelf.byHosts.set(hosts, (byContext = new Map()));
      this.byMatcher.set(trackers, (mine = { shelf, byContext }));
    }
    let byText = mine.byContext.get(context);
    if (byText === undefined) mine.byContext.set(context, (byText = new Map()));
    const known = byText.get(text);
    if (known !== undefined) return known;
    const verdict = judge();
    const shelf = mine.shelf;
    if (shelf.bytes + text.length > KEPT_BYTES) {
      // Emptied in place: other matchers hold these maps.
      for (const byContext of shelf.byHosts.values()) for (const m of byContext.values()) m.clear();
      shelf.bytes = 0;
    }
    byText.set(text, verdict);
    shelf.bytes += text.length;
    return verdict;
  }
}

interface Shelf<V> {
  bytes: number;
  readonly byHosts: Map<string, Map<string, Map<string, V>>>;
}
