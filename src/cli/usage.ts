/** A mistake in how the command was called: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `usage:
  geo-compliance validate [--rules DIR] [--json]
  geo-compliance explain  (--ip IP [--db FILE] | --region CC[-SUB]) [--path P] [--lang L] [--at ISO-DATE] [--rules DIR] [--json]
  geo-compliance logs summary FILE... [--json]
  geo-compliance logs find FILE... (--decision ID | --rule ID | --region CC[-SUB]) [--since TIME] [--until TIME] [--json]

--rules defaults to the rules shipped with the package; it may be given more than once.
logs reads decision log files, plain, rotated or gzipped, in the order given; find prints matching
decisions (the log lines themselves with --json) and exits 1 when none matched.`;
