/**
 * What a decision asks the response stage to do. This is the contract between `rules/` (which
 * decides) and `actions/` + `http/` (which carry it out); both sides import these types.
 */

/** Where a notice goes in the page. */
export type NoticePlacement =
  | { readonly at: "body-start" }
  | { readonly at: "body-end" }
  /** Inside the first element matching a CSS selector (as its first child), or in its place. */
  | { readonly at: "selector"; readonly selector: string; readonly mode: "prepend" | "append" | "replace" };

export interface NoticeAction {
  readonly kind: "notice";
  readonly rule: string;
  /** The negotiated language; always one the rule has a text for. */
  readonly language: string;
  readonly placement: NoticePlacement;
  /** Whether the reader may dismiss it (remembered in a cookie bound to the rule revision). */
  readonly dismissible: boolean;
}

/** The seven Google Consent Mode v2 consent types. */
export type ConsentType =
  | "ad_storage"
  | "ad_user_data"
  | "ad_personalization"
  | "analytics_storage"
  | "functionality_storage"
  | "personalization_storage"
  | "security_storage";

export interface ConsentAction {
  readonly kind: "consent";
  readonly rule: string;
  readonly defaults: Readonly<Record<ConsentType, "granted" | "denied">>;
}

export interface TrackersAction {
  readonly kind: "trackers";
  readonly rule: string;
  /** `list`: hosts on the tracker lists; `third-party`: every host not the site's own or allowed. */
  readonly mode: "list" | "third-party";
  /** Hosts (registrable domains) that are never treated as trackers: the site's own CDNs. */
  readonly allow: readonly string[];
}

export interface HeaderAction {
  readonly kind: "header";
  readonly rule: string;
  readonly name: string;
  readonly value: string;
}

export interface CookiesAction {
  readonly kind: "cookies";
  readonly rule: string;
  /** Cookie name patterns (`*` wildcard) whose Set-Cookie headers are dropped. */
  readonly drop: readonly string[];
}

export interface GpcAction {
  readonly kind: "gpc";
  readonly rule: string;
}

export interface BlockAction {
  readonly kind: "block";
  readonly rule: string;
  readonly status: 451;
  /** RFC 7725 `Link: <url>; rel="blocked-by"`. */
  readonly blockedBy: string;
  readonly language: string;
}

export interface RedirectAction {
  readonly kind: "redirect";
  readonly rule: string;
  readonly status: 302 | 307;
  readonly location: string;
}

export type Action = NoticeAction | ConsentAction | TrackersAction | HeaderAction | CookiesAction | GpcAction | BlockAction | RedirectAction;
export type ActionKind = Action["kind"];

/**
 * The order actions come in a decision: a block wins over everything, then a redirect; when
 * either is present nothing else applies. Otherwise headers, cookies, GPC, consent, trackers,
 * then notices (by rule priority, then id).
 */
export const ACTION_ORDER: readonly ActionKind[] = ["block", "redirect", "header", "cookies", "gpc", "consent", "trackers", "notice"];
