// Run by `npm run build`: writes the table of special address ranges address-range.ts reads, from
// ipaddr.js 2, a build-time dependency. At run time an app holds only the ipaddr.js 1.9 Express's
// proxy-addr pins, whose tables lack ranges 2 has (198.18.0.0/15, AS112, AMT, most IPv6 ones).
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ipaddr from "ipaddr.js";
import type { SpecialRangesTable } from "./address-range.js";
import { requireCjs } from "../require-cjs.js";

// address-range.ts's SPECIAL_RANGES_FILE; not imported, since that module reads the table this writes.
const SPECIAL_RANGES_FILE = fileURLToPath(new URL("./special-ranges.json", import.meta.url));

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Ranges = Record<string, [Address, number] | Array<[Address, number]>>;
const specialRanges = (prototype: object): Ranges => (prototype as { SpecialRanges: Ranges }).SpecialRanges;
const version = (requireCjs("ipaddr.js/package.json") as { version: string }).version;

/** In ipaddr.js's order: `range()` answers with the first name whose range holds the address. */
function entries(ranges: Ranges, numbers: (a: Address) => number[]): Array<[string, number[], number]> {
  return Object.entries(ranges).flatMap(([name, list]) => {
    // ipaddr.js writes a name with one range as [address, bits], with several as a list of those.
    const subnets = Array.isArray(list[0]) ? (list as Array<[Address, number]>) : [list as [Address, number]];
    return subnets.map(([address, bits]) => [name, numbers(address), bits] as [string, number[], number]);
  });
}

const table: SpecialRangesTable = {
  source: `ipaddr.js@${version}`,
  v4: entries(specialRanges(ipaddr.IPv4.prototype), (a) => [...(a as ipaddr.IPv4).octets]),
  v6: entries(specialRanges(ipaddr.IPv6.prototype), (a) => [...(a as ipaddr.IPv6).parts]),
};
rmSync(SPECIAL_RANGES_FILE, { force: true });
writeFileSync(SPECIAL_RANGES_FILE, JSON.stringify(table));
