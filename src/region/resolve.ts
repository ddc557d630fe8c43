import type { IncomingMessage } from "node:http";
import ipaddr from "ipaddr.js";
import { clientAddress, type TrustFunction } from "./client-address.js";
import type { GeoIpDatabase } from "./geoip.js";
import { unknownRegion, type Region } from "./types.js";

const UNROUTABLE = new Set(["unspecified", "broadcast", "multicast", "linkLocal", "loopback", "carrierGradeNat", "private", "reserved", "uniqueLocal", "ipv4Mapped", "rfc6145", "rfc6052", "6to4", "teredo", "benchmarking", "amt", "as112", "deprecated", "orchid2", "droneRemoteIdProtocolEntityTags"]);

export interface ResolvedRegion {
  readonly region: Region;
  /** The address the region was looked up for; kept out of logs unless an operator asks. */
  readonly address: string | null;
}

/** Finds the reader's region: client address through trusted proxies, then the GeoIP database. */
export class RegionResolver {
  constructor(
    private readonly trust: TrustFunction,
    private readonly database: () => GeoIpDatabase,
  ) {}

  resolve(req: IncomingMessage): ResolvedRegion {
    const client = clientAddress(req, this.trust);
    if (!client.address) return { region: unknownRegion(client.reason ?? "no client address"), address: null };
    return { region: this.lookup(client.address, client.reason), address: client.address };
  }

  lookup(address: string, note?: string): Region {
    const range = ipaddr.parse(address).range();
    if (range !== "unicast" && UNROUTABLE.has(range)) return unknownRegion(`${range} address`);
    const hit = this.database().lookup(address);
    if (!hit || !hit.country) return unknownRegion("address not in the GeoIP database");
    return { country: hit.country, subdivision: hit.subdivision, source: "geoip", ...(note ? { reason: note } : {}) };
  }
}
