/**
 * Splits a comma-separated header value (Cache-Control, a structured-field dictionary such as
 * Permissions-Policy) at the commas outside quoted strings and parentheses, and with `angles`
 * outside `<…>` too (the URI references of `Link`). `balanced` is false when a quote, parenthesis
 * or angle bracket is left open.
 */
export function splitHeaderList(value: string, angles = false): { readonly parts: string[]; readonly balanced: boolean } {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let angle = false;
  let balanced = true;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (angle) {
      if (c === ">") angle = false;
    } else if (c === "<" && angles) angle = true;
    else if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") {
      if (--depth < 0) balanced = false;
    } else if (c === "," && depth <= 0) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return { parts, balanced: balanced && !quoted && !angle && depth === 0 };
}
