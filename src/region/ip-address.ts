import { isIPv6 } from "node:net";

/**
 * Client addresses as numbers. node:net says what is an address; this reads one it accepted. Not
 * ipaddr.js: the 1.9 that Express's proxy-addr pins throws on valid forms such as `1::1.2.3.4`, and
 * 2.x reads `::1.2.3.4` as `::ffff:1.2.3.4`; a second copy would also sit beside the first in every
 * app. test/region-special-ranges.test.ts checks the reading against the WHATWG URL parser's.
 */

/** The eight 16-bit groups of an IPv6 address. */
export type IPv6Groups = readonly number[];

/** A dotted-quad IPv4 address as an unsigned 32-bit number; null for anything else (IPv6, garbage). */
export function ipv4ToInt(address: string): number | null {
  let value = 0;
  let part = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const ch = address.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      // Leading zeros are refused, as by node:net: "010" is octal to some parsers and decimal to others.
      if (digits > 0 && part === 0) return null;
      part = (part < 0 ? 0 : part * 10) + (ch - 48);
      if (part > 255 || ++digits > 3) return null;
    } else if (ch === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + part;
}

/** The mask of an IPv4 network of `bits` leading bits, as an unsigned 32-bit number. */
export function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** The eight groups of an IPv6 address as node:net accepts it (a zone id is dropped); null for anything else. */
export function ipv6Groups(address: string): IPv6Groups | null {
  const zone = address.indexOf("%");
  if (zone !== -1) address = address.slice(0, zone);
  if (!isIPv6(address)) return null;
  let head = address;
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  if (address.indexOf(".", lastColon) !== -1) {
    // An IPv4 address in the last 32 bits: 64:ff9b::192.0.2.1, ::ffff:1.2.3.4.
    const v4 = ipv4ToInt(address.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    head = address.endsWith("::", lastColon + 1) ? address.slice(0, lastColon + 1) : address.slice(0, lastColon);
  }
  const hex = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const gap = head.indexOf("::");
  const left = hex(gap === -1 ? head : head.slice(0, gap));
  const right = gap === -1 ? [] : hex(head.slice(gap + 2));
  const zeros = 8 - tail.length - left.length - right.length;
  if (zeros < 0 || (gap === -1 && zeros !== 0)) return null;
  return [...left, ...new Array<number>(zeros).fill(0), ...right, ...tail];
}

/** Whether `groups` lies in the network `net/bits`. */
export function inIPv6Network(groups: IPv6Groups, net: IPv6Groups, bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i]! ^ net[i]!) & mask) !== 0) return false;
  }
  return true;
}

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for; null for any other. */
export function mappedIPv4(groups: IPv6Groups): string | null {
  if (groups[0] !== 0 || groups[1] !== 0 || groups[2] !== 0 || groups[3] !== 0 || groups[4] !== 0 || groups[5] !== 0xffff) return null;
  const [c, d] = [groups[6]!, groups[7]!];
  return `${c >> 8}.${c & 0xff}.${d >> 8}.${d & 0xff}`;
}

/** RFC 5952's short form (`2001:db8::`), as the WHATWG URL serializer writes a host. */
export function ipv6Text(groups: IPv6Groups): string {
  return new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname.slice(1, -1);
}
