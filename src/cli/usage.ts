/** A mistake in how the command was called: one line saying what, and where help is; exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

const RULES_NOTE = "--rules defaults to ./rules in the current folder; it may be given more than once.";

/** Each command's usage line and what it does, for `geo-compliance COMMAND --help`. */
export const COMMAND_HELP: Readonly<Record<string, { readonly usage: string; readonly help: string }>> = {
  validate: {
    usage: "geo-compliance validate [--rules DIR] [--db FILE|PACKAGE] [--json]",
    help: `Checks the rule files. Exits 0 when they load (warnings are printed), 1 otherwise.
--db also checks the rules against a GeoIP database: a rule that names subdivisions
(UA-43, US-CA) is reported when the database gives countries only.
${RULES_NOTE}`,
  },
  test: {
    usage: "geo-compliance test     [--rules DIR] [--json]",
    help: `Runs the tests written in the rule files. Exits 0 when every test passes, 1 otherwise.
${RULES_NOTE}`,
  },
  explain: {
    usage: "geo-compliance explain  (--ip IP [--db FILE|PACKAGE] | --region CC[-SUB]) [--path P] [--lang L] [--at ISO-DATE] [--gpc] [--rules DIR] [--json]",
    help: `Shows what a reader would get: the region, every rule and why it applies or not, the notice.
--region takes an ISO code such as RU or UA-43 (UK is written GB).
${RULES_NOTE}`,
  },
  diff: {
    usage: "geo-compliance diff     OLD NEW [--at ISO-DATE] [--json]",
    help: `Compares every reader's decision under OLD and NEW, each a rules folder, a rule file, or
git:REV:PATH (e.g. git:main:rules/; PATH from the top of the repository, or ./PATH from here).
Exits 0 when no reader is affected, 1 when some are, and 2 when a side cannot be read or holds no rules.`,
  },
  "preview-token": {
    usage: "geo-compliance preview-token --region CC[-SUB] [--ttl 1h] [--secret-env NAME] [--json]",
    help: `Mints a reader-preview token. The secret is read from GEO_COMPLIANCE_PREVIEW_SECRET (or the
variable --secret-env names), never from the command line; --ttl is 90s, 15m, 1h (the default)
or 7d, at most 30d.`,
  },
  audit: {
    usage: "geo-compliance audit URL... --region CC[-SUB]... [--lang L] [--crawl N] [--viewport 390x844,1280x800] [--out DIR] [--json] [--baseline [--baseline-region CC]]",
    help: `Opens the site's pages in Chromium as a reader in each --region would, and shows what that reader
got: every third party the browser contacted (connections, preconnects, DNS prefetches, WebSockets,
navigations) with what caused it, whether the notice is there once, visible in the first viewport
and in the expected language, the decision id and rules revision, and screenshots per viewport.
The site's own middleware decides: a preview token is minted for each region from the secret in
GEO_COMPLIANCE_PREVIEW_SECRET (or the variable --secret-env names), and sent to the pages' host only.
--crawl N follows same-site links breadth-first up to N pages, as robots.txt allows, one at a time,
for at most --max-time (15m). --baseline adds a reader no rule applies to (--baseline-region, AQ)
and what differs. The report is DIR/report.html and DIR/report.json (--out, ./geo-compliance-audit).
Other options: --chromium PATH (or CHROMIUM_PATH), --chromium-arg ARG, --trackers FILE (besides the
shipped list), --preview-cookie NAME, --settle MS (1000).
Needs playwright-core, robots-parser for --crawl (npm install --save-dev playwright-core robots-parser)
and a Chromium.
Exits 0 when every protected reader's page is clean, 1 when one leaks or lacks its notice, 2 when
the audit cannot run.`,
  },
  logs: {
    usage: `geo-compliance logs summary FILE... [--json]
  geo-compliance logs find FILE... (--decision ID | --rule ID | --region CC[-SUB]) [--since TIME] [--until TIME] [--json]`,
    help: `Reads decision log files, plain, rotated or gzipped, in the order given; find prints matching
decisions (the log lines themselves with --json) and exits 1 when none matched.`,
  },
};

export const USAGE = `usage:
${Object.values(COMMAND_HELP)
  .map((c) => `  ${c.usage}`)
  .join("\n")}
  geo-compliance --version

geo-compliance COMMAND --help tells more about a command.
${RULES_NOTE}`;

/** The help for one command. */
export function commandHelp(command: string): string {
  const c = COMMAND_HELP[command]!;
  return `usage: ${c.usage}\n\n${c.help}`;
}

/** Whether `args` ask for help (`-h`, `--help`) before any `--` that ends the options. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "-h" || a === "--help") return true;
  }
  return false;
}
