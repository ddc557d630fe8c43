import { subdivisionCodeByName } from "./dist/src/region/subdivision-names.js";
import { readFileSync } from "node:fs";
for (const line of readFileSync("/tmp/dbip/states.tsv","utf8").split("\n")) { const [c,n]=line.split("\t"); if (!["UA","RU","US"].includes(c)) continue; const code = subdivisionCodeByName(c,n||""); console.log(c, n, "=>", code); }
