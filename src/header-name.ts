/** An HTTP token (RFC 9110 §5.6.2): what a header name, or a cookie name, may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isHttpToken(value: unknown): value is string {
  return typeof value === "string" && TOKEN.test(value);
}
