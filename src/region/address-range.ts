import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inIPv6Network, ipv4Mask, type IPv6Groups } from "./ip-address.js";

/**
 * The special address ranges (loopback, private, reserved, …) as ipaddr.js 2 names them, in its
 * order: `npm run build` writes the table (write-special-ranges.ts). An app then holds one
 * ipaddr.js, the 1.9 Express's proxy-addr pins, whose own tables lack some of these ranges.
 */
export interface SpecialRangesTable {
  readonly source: string;
  readonly v4: readonly (readonly [name: string, octets: readonly number[], bits: number])[];
  readonly v6: readonly (readonly [name: string, parts: readonly number[], bits: number])[];
}

export const SPECIAL_RANGES_FILE = fileURLToPath(new URL("./special-ranges.json", import.meta.url));

const TABLE = JSON.parse(readFileSync(SPECIAL_RANGES_FILE, "utf8")) as SpecialRangesTable;

/** IPv4 ranges compiled to integer masks: nine readers in ten arrive over IPv4, unparsed. */
const V4_RANGES: ReadonlyArray<{ readonly name: string; readonly net: number; readonly mask: number }> = TABLE.v4.map(([name, octets, bits]) => {
  const mask = ipv4Mask(bits);
  const [a, b, c, d] = octets as [number, number, number, number];
  return { name, net: (((a << 24) | (b << 16) | (c << 8) | d) >>> 0 & mask) >>> 0, mask };
});

const V6_RANGES: ReadonlyArray<{ readonly name: string; readonly net: IPv6Groups; readonly bits: number }> = TABLE.v6.map(([name, net, bits]) => ({ name, net, bits }));

/** The name of the special range holding an IPv4 address, or "unicast". */
export function ipv4Range(value: number): string {
  for (const r of V4_RANGES) if ((value & r.mask) >>> 0 === r.net) return r.name;
  return "unicast";
}

/** The name of the special range holding an IPv6 address given as its groups, or "unicast". */
export function ipv6Range(groups: IPv6Groups): string {
  for (const r of V6_RANGES) if (inIPv6Network(groups, r.net, r.bits)) return r.name;
  return "unicast";
}
