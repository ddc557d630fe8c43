import { createRequire } from "node:module";

/**
 * `require` for the CommonJS packages this ES module package uses, at import and where one is
 * loaded only when first needed (pino, tldts, htmlparser2, …). An `import` of a CommonJS module
 * makes node scan its source for export names first; `require` skips that scan, which for a dozen
 * packages is a measurable part of the time an app takes to import this one. Types come from
 * `import type`; packages resolve from this package's folder, as `import` would.
 */
export const requireCjs = createRequire(import.meta.url);
