import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";

/** The CSP source expression that allows exactly this inline script. */
export function scriptHash(source: string): string {
  return `'sha256-${createHash("sha256").update(source, "utf8").digest("base64")}'`;
}

/** Directives that govern inline <script> elements, most specific first. */
const FOR_INLINE_SCRIPTS = ["script-src-elem", "script-src", "default-src"];

function allowsInline(tokens: readonly string[]): boolean {
  const lower = tokens.map((t) => t.toLowerCase());
  if (!lower.includes("'unsafe-inline'")) return false;
  // A nonce, a hash or 'strict-dynamic' makes browsers ignore 'unsafe-inline'.
  return !lower.some((t) => t.startsWith("'nonce-") || t.startsWith("'sha256-") || t.startsWith("'sha384-") || t.startsWith("'sha512-") || t === "'strict-dynamic'");
}

/** One policy (no commas) with the hashes added where inline scripts would otherwise be refused. */
function patchPolicy(policy: string, hashes: readonly string[]): string {
  const directives = policy.split(";");
  const names = directives.map((d) => d.trim().split(/\s+/)[0]?.toLowerCase() ?? "");
  for (const wanted of FOR_INLINE_SCRIPTS) {
    const i = names.indexOf(wanted);
    if (i === -1) continue;
    const tokens = directives[i]!.trim().split(/\s+/).slice(1);
    if (allowsInline(tokens)) return policy;
    const kept = tokens.filter((t) => t.toLowerCase() !== "'none'");
    directives[i] = ` ${wanted} ${[...kept, ...hashes].join(" ")}`;
    return directives.join(";").replace(/^ /, "");
  }
  return policy;
}

/** A Content-Security-Policy value (possibly several policies, comma-separated) that lets our scripts run. */
export function allowScripts(value: string, hashes: readonly string[]): string {
  if (hashes.length === 0) return value;
  return value
    .split(",")
    .map((p) => patchPolicy(p, hashes))
    .join(",");
}

/**
 * The injected scripts (guard, consent defaults, dismiss button) are inline. Where the response's
 * policy (the app's, or one another part of this middleware set) would refuse them, their hashes
 * are added to the directive that governs inline scripts; a policy that allows inline scripts
 * is left alone, since adding a hash would turn that permission off for the site's own scripts.
 */
export function allowInjectedScripts(res: ServerResponse, hashes: readonly string[]): void {
  if (hashes.length === 0) return;
  for (const name of ["content-security-policy", "content-security-policy-report-only"]) {
    const value = res.getHeader(name);
    if (value === undefined) continue;
    if (Array.isArray(value)) res.setHeader(name, value.map((v) => allowScripts(String(v), hashes)));
    else res.setHeader(name, allowScripts(String(value), hashes));
  }
}
