#!/usr/bin/env node
import { parseArgs } from "node:util";
import { shippedRulesDir } from "../package-root.js";
import { explain, formatExplanation } from "./explain.js";
import { USAGE, UsageError } from "./usage.js";
import { formatTestResults, testRules } from "./test-rules.js";
import { formatValidation, validate } from "./validate.js";

/** Runs one command; returns the exit status. Output goes through `out` so tests can call it in-process. */
export function run(argv: readonly string[], out: (text: string) => void = (t) => process.stdout.write(t + "\n"), err: (text: string) => void = (t) => process.stderr.write(t + "\n")): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate": {
        const { values } = parseArgs({ args: [...rest], options: { rules: { type: "string", multiple: true }, json: { type: "boolean" } }, strict: true });
        const result = validate(values.rules ?? [shippedRulesDir()]);
        out(values.json ? JSON.stringify(result, null, 2) : formatValidation(result));
        return result.ok ? 0 : 1;
      }
      case "test": {
        const { values } = parseArgs({ args: [...rest], options: { rules: { type: "string", multiple: true }, json: { type: "boolean" } }, strict: true });
        const result = testRules(values.rules ?? [shippedRulesDir()]);
        out(values.json ? JSON.stringify(result, null, 2) : formatTestResults(result));
        return result.ok ? 0 : 1;
      }
      case "explain": {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            ip: { type: "string" },
            region: { type: "string" },
            db: { type: "string" },
            path: { type: "string", default: "/" },
            lang: { type: "string" },
            at: { type: "string" },
            gpc: { type: "boolean" },
            rules: { type: "string", multiple: true },
            json: { type: "boolean" },
          },
          strict: true,
        });
        const e = explain({ ip: values.ip, region: values.region, db: values.db, path: values.path ?? "/", lang: values.lang, at: values.at, gpc: values.gpc, rules: values.rules ?? [shippedRulesDir()] });
        out(values.json ? JSON.stringify(e, null, 2) : formatExplanation(e));
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      err(`geo-compliance: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    err(`geo-compliance: ${(error as Error).message}`);
    return 1;
  }
}

// Run only when executed as the `geo-compliance` command, not when imported by tests.
if (process.argv[1] && /(?:^|[\\/])(main\.js|geo-compliance)$/.test(process.argv[1])) {
  process.exitCode = run(process.argv.slice(2));
}
