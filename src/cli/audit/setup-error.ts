/** Something the audit needs and does not have (a browser, a package, the secret): exit 2, with what to do. */
export class AuditSetupError extends Error {
  override name = "AuditSetupError";
}

/** Whether loading a package failed because it is not installed (ES module or CommonJS). */
export function isMissingModule(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}
