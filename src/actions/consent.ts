import type { ConsentAction, ConsentType } from "../rules/actions.js";

export const CONSENT_TYPES: readonly ConsentType[] = [
  "ad_storage",
  "ad_user_data",
  "ad_personalization",
  "analytics_storage",
  "functionality_storage",
  "personalization_storage",
  "security_storage",
];

/** Where several rules set defaults, the stricter one wins: a type is granted only if every rule grants it. */
export function mergeConsentDefaults(actions: readonly ConsentAction[]): Record<ConsentType, "granted" | "denied"> {
  const merged = {} as Record<ConsentType, "granted" | "denied">;
  for (const type of CONSENT_TYPES) merged[type] = actions.every((a) => a.defaults[type] === "granted") ? "granted" : "denied";
  return merged;
}

/**
 * Google Consent Mode v2 `default` command, as Google documents it: `gtag` pushes its `arguments`
 * object onto `dataLayer`, and the default must be set before any tag loads, so this is injected
 * as the first script in <head>. A tag loaded later reads the defaults from `dataLayer`; a consent
 * manager then sends `gtag('consent', 'update', …)`.
 */
export function consentDefaultScript(actions: readonly ConsentAction[]): string | null {
  if (actions.length === 0) return null;
  const defaults = mergeConsentDefaults(actions);
  return (
    "window.dataLayer=window.dataLayer||[];" +
    "window.gtag=window.gtag||function(){window.dataLayer.push(arguments)};" +
    `window.gtag("consent","default",${JSON.stringify(defaults)});`
  );
}
