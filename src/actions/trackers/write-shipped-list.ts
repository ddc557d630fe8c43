// Run by `npm run build` (after the schema validators): writes the shipped tracker list's compiled form (list.ts).
import { rmSync, writeFileSync } from "node:fs";
import { COMPILED_SHIPPED_LIST_FILE, compileTrackerList, shippedTrackerListPath } from "./list.js";

rmSync(COMPILED_SHIPPED_LIST_FILE, { force: true });
writeFileSync(COMPILED_SHIPPED_LIST_FILE, compileTrackerList(shippedTrackerListPath()));
