import { createHmac } from "node:crypto";
import { isIPv4 } from "node:net";
import { ipv6Groups, ipv6Text, mappedIPv4 } from "../region/ip-address.js";
import type { ClientMode } from "./options.js";

/**
 * Turns the reader's address into what the decision log may keep: by default a network prefix
 * (IPv4 /24, IPv6 /48), wide enough not to point at one household and narrow enough to tell
 * networks apart; a keyed hash lets an operator link requests without being able to reverse them.
 */
export function clientField(address: string | null | undefined, mode: ClientMode, hashKey?: string | Buffer): string | undefined {
  if (!address || mode === "none") return undefined;
  switch (mode) {
    case "raw":
      return address;
    case "hash":
      return `hmac-sha256:${createHmac("sha256", hashKey ?? "").update(address).digest("hex").slice(0, 32)}`;
    case "prefix":
      return networkPrefix(address);
  }
}

export function networkPrefix(address: string): string | undefined {
  if (isIPv4(address)) return `${address.slice(0, address.lastIndexOf("."))}.0/24`;
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const mapped = mappedIPv4(groups); // ::ffff:a.b.c.d is the IPv4 reader a.b.c.d
  if (mapped) return `${mapped.slice(0, mapped.lastIndexOf("."))}.0/24`;
  return `${ipv6Text([groups[0]!, groups[1]!, groups[2]!, 0, 0, 0, 0, 0])}/48`;
}
