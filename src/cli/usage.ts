/** A mistake in how the command was called: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `usage:
  geo-compliance validate [--rules DIR] [--json]
  geo-compliance test     [--rules DIR] [--json]
  geo-compliance explain  (--ip IP [--db FILE] | --region CC[-SUB]) [--path P] [--lang L] [--at ISO-DATE] [--gpc] [--rules DIR] [--json]

--rules defaults to the rules shipped with the package; it may be given more than once.
validate exits 0 when the rules load (warnings are printed), 1 otherwise; test exits 0 when every test passes.`;
