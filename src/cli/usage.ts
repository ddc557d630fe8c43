/** A mistake in how the command was called: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `usage:
  geo-compliance validate [--rules DIR] [--json]
  geo-compliance test     [--rules DIR] [--json]
  geo-compliance explain  (--ip IP [--db FILE] | --region CC[-SUB]) [--path P] [--lang L] [--at ISO-DATE] [--gpc] [--rules DIR] [--json]
  geo-compliance diff     OLD NEW [--at ISO-DATE] [--json]
  geo-compliance preview-token --region CC[-SUB] [--ttl 1h] [--secret-env NAME] [--json]
  geo-compliance logs summary FILE... [--json]
  geo-compliance logs find FILE... (--decision ID | --rule ID | --region CC[-SUB]) [--since TIME] [--until TIME] [--json]

--rules defaults to the rules shipped with the package; it may be given more than once.
validate exits 0 when the rules load (warnings are printed), 1 otherwise; test exits 0 when every test passes.
diff compares every reader's decision under OLD and NEW, each a rules folder, a rule file, or
git:REV:PATH (e.g. git:main:rules/); it exits 0 when no reader is affected, 1 when some are, and 2
when a side cannot be read.
preview-token reads the secret from GEO_COMPLIANCE_PREVIEW_SECRET (or --secret-env NAME); --ttl is
90s, 15m, 1h (the default) or 7d, at most 30d.
logs reads decision log files, plain, rotated or gzipped, in the order given; find prints matching
decisions (the log lines themselves with --json) and exits 1 when none matched.`;
