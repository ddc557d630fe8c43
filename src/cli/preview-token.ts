import { mintPreviewToken, parseDuration } from "../region/preview-token.js";
import { parseRegionCode } from "../region/region-code.js";
import { UsageError } from "./usage.js";

export const DEFAULT_SECRET_ENV = "GEO_COMPLIANCE_PREVIEW_SECRET";

export interface PreviewTokenArgs {
  readonly region?: string | undefined;
  readonly ttl?: string | undefined;
  readonly secretEnv?: string | undefined;
}

export interface MintedPreview {
  readonly token: string;
  readonly region: string;
  readonly expiresAt: string;
}

/**
 * Mints a preview token. The secret is read from an environment variable, never from the command line,
 * where it would be left in shell history and shown to every user of `ps`.
 */
export function previewToken(args: PreviewTokenArgs, env: NodeJS.ProcessEnv, now: Date): MintedPreview {
  if (!args.region) throw new UsageError("preview-token needs --region, e.g. --region UA-43");
  const region = parseRegionCode(args.region);
  if (typeof region === "string") throw new UsageError(`--region ${region}`);
  let ttl: number;
  try {
    ttl = parseDuration(args.ttl ?? "1h");
  } catch (error) {
    throw new UsageError(`--ttl ${(error as Error).message}`);
  }
  const name = args.secretEnv ?? DEFAULT_SECRET_ENV;
  const secret = env[name];
  if (!secret) throw new Error(`the preview secret is read from the environment variable ${name}, which is not set; set it to the secret given to the middleware as preview.secret`);
  const expiresAt = new Date(now.getTime() + ttl);
  let token: string;
  try {
    token = mintPreviewToken(secret, region, expiresAt);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  return { token, region: region.subdivision ?? region.country, expiresAt: expiresAt.toISOString() };
}
