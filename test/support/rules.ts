import { join } from "node:path";
import { shippedRulesDir } from "../../src/package-root.js";

/** The shipped Russia rule alone, for tests about one rule's readers rather than the whole shipped set. */
export const RUSSIA_RULE_FILE = join(shippedRulesDir(), "ru-undesirable-organization.yaml");
