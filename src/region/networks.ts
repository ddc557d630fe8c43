import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { ipv4ToInt } from "./address-range.js";
import { parseRegionCode, type RegionCode } from "./region-code.js";
import type { Region } from "./types.js";

/** One override: readers whose address is in `cidr` are in `region` (office networks, VPN egress, test ranges). */
export interface NetworkOverride {
  readonly cidr: string;
  /** `RU` or `UA-43`. */
  readonly region: string;
}

interface Entry {
  readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  readonly region: Region;
}

/** IPv4 entries as integer masks, matched against `ipv4ToInt` without parsing the address again. */
interface V4Entry {
  readonly net: number;
  readonly mask: number;
  readonly region: Region;
}

/** Compiled `networks`: the most specific network that contains an address decides. */
export class NetworkTable {
  static readonly EMPTY = new NetworkTable([], []);

  private readonly v4: readonly V4Entry[];

  private constructor(
    v4: readonly Entry[],
    private readonly v6: readonly Entry[],
  ) {
    this.v4 = v4.map(({ range: [addr, bits], region }) => {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return { net: (ipv4ToInt(addr.toString())! & mask) >>> 0, mask, region };
    });
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** Checks `networks`; throws a TypeError naming the entry that is wrong. */
  static compile(list: unknown): NetworkTable {
    if (!Array.isArray(list)) throw new TypeError(`networks must be a list such as [{ cidr: "10.8.0.0/16", region: "UA-43" }]`);
    const v4: Entry[] = [];
    const v6: Entry[] = [];
    list.forEach((item: unknown, i) => {
      const where = `networks[${i}]`;
      if (typeof item !== "object" || item === null) throw new TypeError(`${where}: expected { cidr, region }`);
      const { cidr, region, ...rest } = item as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length > 0) throw new TypeError(`${where}: unknown key "${extra[0]}"; expected cidr and region`);
      if (typeof cidr !== "string") throw new TypeError(`${where}.cidr: expected a network such as "10.8.0.0/16" or "2001:db8::/32"`);
      let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
      try {
        const text = cidr.trim();
        // ipaddr.js also reads "10.8" and hex forms; only the usual notations are accepted here.
        if (isIP(text.split("/")[0] ?? "") === 0) throw new Error("not an address");
        range = text.includes("/") ? ipaddr.parseCIDR(text) : single(text);
      } catch {
        throw new TypeError(`${where}.cidr: "${cidr}" is not a network; write an address with a prefix length such as "10.8.0.0/16"`);
      }
      const code = parseRegionCode(region);
      if (typeof code === "string") throw new TypeError(`${where}.region: ${code}`);
      // Client addresses arrive with IPv4-mapped IPv6 already turned into IPv4; match them the same way.
      const [addr, bits] = range;
      if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        range = [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
      }
      const entry: Entry = { range, region: regionOf(code, cidr) };
      (range[0].kind() === "ipv4" ? v4 : v6).push(entry);
    });
    const bySpecificity = (a: Entry, b: Entry): number => b.range[1] - a.range[1];
    return new NetworkTable(v4.sort(bySpecificity), v6.sort(bySpecificity));
  }

  /** The override for an IPv4 address given as `ipv4ToInt` gives it, or null. */
  matchV4(value: number): Region | null {
    for (const e of this.v4) if ((value & e.mask) >>> 0 === e.net) return e.region;
    return null;
  }

  /** The override for a parsed IPv6 address (IPv4-mapped ones already turned into IPv4), or null. */
  matchV6(parsed: ipaddr.IPv6): Region | null {
    for (const e of this.v6) if (parsed.match(e.range)) return e.region;
    return null;
  }
}

function single(address: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const addr = ipaddr.parse(address);
  return [addr, addr.kind() === "ipv4" ? 32 : 128];
}

function regionOf(code: RegionCode, cidr: string): Region {
  return Object.freeze({ country: code.country, subdivision: code.subdivision, source: "network" as const, reason: `network override ${cidr}` });
}
