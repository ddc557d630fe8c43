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
  const ipv4 = isIPv4(address);
  const groups = ipv4 ? null : ipv6Groups(address);
  if (!ipv4 && groups === null) return undefined;
  // ::ffff:a.b.c.d is the IPv4 reader a.b.c.d.
  const v4 = groups === null ? address : mappedIPv4(groups);
  if (v4 !== null) return `${v4.slice(0, v4.lastIndexOf("."))}.0/24`;
  return `${ipv6Text([...groups!.slice(0, 3), 0, 0, 0, 0, 0])}/48`;
}
