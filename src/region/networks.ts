import { inIPv6Network, ipv4Mask, ipv4ToInt, ipv6Groups, mappedIPv4, type IPv6Groups } from "./ip-address.js";
import { parseRegionCode, type RegionCode } from "./region-code.js";
import type { Region } from "./types.js";

/** One override: readers whose address is in `cidr` are in `region` (office networks, VPN egress, test ranges). */
export interface NetworkOverride {
  readonly cidr: string;
  /** `RU` or `UA-43`. */
  readonly region: string;
}

/** IPv4 entries as integer masks, matched against `ipv4ToInt` without parsing the address again. */
interface V4Entry {
  readonly net: number;
  readonly mask: number;
  readonly region: Region;
}

interface V6Entry {
  readonly net: IPv6Groups;
  readonly bits: number;
  readonly region: Region;
}

/** Compiled `networks`: the most specific network that contains an address decides. */
export class NetworkTable {
  static readonly EMPTY = new NetworkTable([], []);

  private constructor(
    private readonly v4: readonly V4Entry[],
    private readonly v6: readonly V6Entry[],
  ) {}

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** Checks `networks`; throws a TypeError naming the entry that is wrong. */
  static compile(list: unknown): NetworkTable {
    if (!Array.isArray(list)) throw new TypeError(`networks must be a list such as [{ cidr: "10.8.0.0/16", region: "UA-43" }]`);
    const v4: Array<V4Entry & { bits: number }> = [];
    const v6: V6Entry[] = [];
    list.forEach((item: unknown, i) => {
      const where = `networks[${i}]`;
      if (typeof item !== "object" || item === null) throw new TypeError(`${where}: expected { cidr, region }`);
      const { cidr, region, ...rest } = item as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length > 0) throw new TypeError(`${where}: unknown key "${extra[0]}"; expected cidr and region`);
      if (typeof cidr !== "string") throw new TypeError(`${where}.cidr: expected a network such as "10.8.0.0/16" or "2001:db8::/32"`);
      const network = parseNetwork(cidr.trim());
      if (!network) throw new TypeError(`${where}.cidr: "${cidr}" is not a network; write an address with a prefix length such as "10.8.0.0/16"`);
      const code = parseRegionCode(region);
      if (typeof code === "string") throw new TypeError(`${where}.region: ${code}`);
      const place = regionOf(code, cidr);
      if (typeof network.net === "number") {
        const mask = ipv4Mask(network.bits);
        v4.push({ net: (network.net & mask) >>> 0, mask, bits: network.bits, region: place });
      } else {
        v6.push({ net: network.net, bits: network.bits, region: place });
      }
    });
    const bySpecificity = (a: { bits: number }, b: { bits: number }): number => b.bits - a.bits;
    return new NetworkTable(
      v4.sort(bySpecificity).map(({ net, mask, region }) => ({ net, mask, region })),
      v6.sort(bySpecificity),
    );
  }

  /** The override for an IPv4 address given as `ipv4ToInt` gives it, or null. */
  matchV4(value: number): Region | null {
    for (const e of this.v4) if ((value & e.mask) >>> 0 === e.net) return e.region;
    return null;
  }

  /** The override for an IPv6 address given as its groups (IPv4-mapped ones already turned into IPv4), or null. */
  matchV6(groups: IPv6Groups): Region | null {
    for (const e of this.v6) if (inIPv6Network(groups, e.net, e.bits)) return e.region;
    return null;
  }
}

/** `10.8.0.0/16`, `2001:db8::/32`, or a bare address (a /32 or /128); null for anything else. */
function parseNetwork(text: string): { net: number | IPv6Groups; bits: number } | null {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const prefix = slash === -1 ? null : text.slice(slash + 1);
  if (prefix !== null && !/^(?:0|[1-9][0-9]{0,2})$/.test(prefix)) return null;
  const v4 = ipv4ToInt(address);
  if (v4 !== null) {
    const bits = prefix === null ? 32 : Number(prefix);
    return bits <= 32 ? { net: v4, bits } : null;
  }
  const groups = address.includes("%") ? null : ipv6Groups(address);
  if (!groups) return null;
  const bits = prefix === null ? 128 : Number(prefix);
  if (bits > 128) return null;
  // Client addresses arrive with IPv4-mapped IPv6 already turned into IPv4; match them the same way.
  const mapped = bits >= 96 ? mappedIPv4(groups) : null;
  return mapped ? { net: ipv4ToInt(mapped)!, bits: bits - 96 } : { net: groups, bits };
}

function regionOf(code: RegionCode, cidr: string): Region {
  return Object.freeze({ country: code.country, subdivision: code.subdivision, source: "network" as const, reason: `network override ${cidr}` });
}
