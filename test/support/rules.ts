import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { shippedRulesDir } from "../../src/package-root.js";

/** The shipped Russia rule alone, for tests about one rule's readers rather than the whole shipped set. */
export const RUSSIA_RULE_FILE = join(shippedRulesDir(), "ru-undesirable-organization.yaml");

let noticeOnly: string | undefined;

/**
 * The shipped Russia rule with its notice only (no trackers, no headers): for tests that check the
 * notice goes in once and every other byte stays as it was. Made from the shipped file, so the
 * texts and regions are always the real ones.
 */
export function russiaNoticeOnlyRules(): string {
  if (noticeOnly) return noticeOnly;
  const doc = parseDocument(readFileSync(RUSSIA_RULE_FILE, "utf8"));
  for (const key of ["trackers", "headers", "consent", "cookies"]) doc.deleteIn(["rules", 0, "actions", key]);
  doc.deleteIn(["tests"]);
  const dir = mkdtempSync(join(tmpdir(), "gc-notice-only-"));
  writeFileSync(join(dir, "ru-undesirable-organization.yaml"), doc.toString());
  return (noticeOnly = dir);
}
