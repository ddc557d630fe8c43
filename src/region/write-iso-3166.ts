// Run by `npm run build`: writes the ISO 3166 table iso-3166.ts reads, from the iso-3166 package.
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { iso31661, iso31661Reserved, iso31662 } from "iso-3166";
import type { Iso3166Table } from "./iso-3166.js";
import { requireCjs } from "../require-cjs.js";

// iso-3166.ts's ISO_3166_TABLE_FILE; not imported, since that module reads the table this writes.
const ISO_3166_TABLE_FILE = fileURLToPath(new URL("./iso-3166.json", import.meta.url));

const version = (requireCjs("iso-3166/package.json") as { version: string }).version;
const table: Iso3166Table = {
  source: `iso-3166@${version}`,
  countries: iso31661.map((c) => [c.alpha2, c.alpha3, c.numeric, c.name] as const),
  subdivisions: iso31662.map((s) => [s.code, s.name, s.parent] as const),
  reserved: iso31661Reserved.map((r) => [r.alpha2, r.name, r.state] as const),
};
rmSync(ISO_3166_TABLE_FILE, { force: true });
writeFileSync(ISO_3166_TABLE_FILE, JSON.stringify(table));
