/** What a vector needs to know about the one run it is rendered for: its own third-party names and port. */

/** `plain`: no middleware. `free`: a reader no rule applies to. The other three protect the reader. */
export type Mode = "plain" | "free" | "third-party" | "list" | "github";
export const MODES: readonly Mode[] = ["plain", "free", "third-party", "list", "github"];
export const PROTECTED_MODES: readonly Mode[] = ["third-party", "list", "github"];

const SHORT: Record<Mode, string> = { plain: "p", free: "f", "third-party": "t", list: "l", github: "g" };

export class RunContext {
  /** The registrable domain every third-party name of this run is under (listed in `list` mode). */
  readonly domain: string;
  /** The run's own label, `<vector>-<mode letter>`, in the names that are not under `domain`. */
  readonly label: string;

  constructor(
    readonly vector: string,
    readonly mode: Mode,
    /** The port the third-party recorder listens on for this run alone: the net log keeps ports even where it loses names. */
    readonly port: number,
  ) {
    // On news.github.io the third party is another site under the same public suffix.
    this.label = `${vector}-${SHORT[mode]}`;
    this.domain = mode === "github" ? `${vector}.evil.github.io` : `${vector}-${SHORT[mode]}.com`;
  }

  /** `label.<run domain>:port`. */
  host(label = "t"): string {
    return `${label}.${this.domain}:${this.port}`;
  }

  /** An absolute third-party URL of this run. */
  url(label = "t", path = "/"): string {
    return `http://${this.host(label)}${path}`;
  }

  /** The same URL as a JavaScript string literal. */
  js(label = "t", path = "/"): string {
    return JSON.stringify(this.url(label, path));
  }

  /** A host under a public suffix of the private section, or a single-label one: `s3` → `<run>.s3.amazonaws.com:port`. */
  suffixHost(suffix: "s3.amazonaws.com" | "appspot.com" | "pages.dev" | "single-label"): string {
    return suffix === "single-label" ? `${this.label}:${this.port}` : `${this.label}.${suffix}:${this.port}`;
  }

  /** A first-party path of this vector: `/v/<vector>/<file>`. */
  fp(file = ""): string {
    return `/v/${this.vector}/${file}`;
  }
}
