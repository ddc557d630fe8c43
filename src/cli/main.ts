#!/usr/bin/env node
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-root.js";
import { RuleLoadError } from "../rules/errors.js";
import { diffJson, diffRules, formatDiff } from "./diff.js";
import { databasePath, explain, formatExplanation } from "./explain.js";
import { previewToken } from "./preview-token.js";
import { runLogs } from "./logs.js";
import { AuditSetupError } from "./audit/setup-error.js";
import { SideError } from "./rule-sides.js";
import { asksForHelp, COMMAND_HELP, commandHelp, USAGE, UsageError } from "./usage.js";
import { rulesArg, type RulesArg } from "./rules-folder.js";
import { formatTestResults, testRules } from "./test-rules.js";
import { formatValidation, validate } from "./validate.js";

/** Runs one command; returns the exit status. Output goes through `out` so tests can call it in-process. */
export function run(argv: readonly string[], out: (text: string) => void = (t) => process.stdout.write(t + "\n"), err: (text: string) => void = (t) => process.stderr.write(t + "\n")): number {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(COMMAND_HELP, command) && asksForHelp(rest)) {
    out(commandHelp(command));
    return 0;
  }
  try {
    switch (command) {
      case "validate": {
        const { values } = parseArgs({ args: [...rest], options: { rules: { type: "string", multiple: true }, db: { type: "string" }, json: { type: "boolean" } }, strict: true });
        const rules = rulesArg(values.rules);
        const result = validate(rules.paths, values.db === undefined ? undefined : databasePath(values.db));
        if (!values.json) err(readLine(rules));
        out(values.json ? JSON.stringify(result, null, 2) : formatValidation(result));
        return result.ok ? 0 : 1;
      }
      case "test": {
        const { values } = parseArgs({ args: [...rest], options: { rules: { type: "string", multiple: true }, json: { type: "boolean" } }, strict: true });
        const rules = rulesArg(values.rules);
        const result = testRules(rules.paths);
        if (!values.json) err(readLine(rules));
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
        const e = explain({ ip: values.ip, region: values.region, db: values.db, path: values.path ?? "/", lang: values.lang, at: values.at, gpc: values.gpc, rules: rulesArg(values.rules).paths });
        out(values.json ? JSON.stringify(e, null, 2) : formatExplanation(e));
        return 0;
      }
      case "diff": {
        const { values, positionals } = parseArgs({ args: [...rest], options: { json: { type: "boolean" }, at: { type: "string" } }, allowPositionals: true, strict: true });
        if (positionals.length !== 2) throw new UsageError("diff needs two sides, OLD and NEW: each a rules folder, a rule file, or git:REV:PATH");
        let report;
        try {
          report = diffRules({ old: positionals[0]!, new: positionals[1]!, at: values.at });
        } catch (error) {
          // A side that cannot be read is trouble, not a difference: 2, as diff(1) does.
          if (error instanceof SideError || error instanceof RuleLoadError) {
            err(`geo-compliance diff: ${error.message}`);
            return 2;
          }
          throw error;
        }
        out(values.json ? JSON.stringify(diffJson(report), null, 2) : formatDiff(report));
        return report.impact.changed ? 1 : 0;
      }
      case "preview-token": {
        if (rest.some((a) => a === "--secret" || a.startsWith("--secret="))) {
          throw new UsageError("the secret is never given on the command line; put it in GEO_COMPLIANCE_PREVIEW_SECRET (or the variable named by --secret-env)");
        }
        const { values } = parseArgs({ args: [...rest], options: { region: { type: "string" }, ttl: { type: "string" }, "secret-env": { type: "string" }, json: { type: "boolean" } }, strict: true });
        const minted = previewToken({ region: values.region, ttl: values.ttl, secretEnv: values["secret-env"] }, process.env, new Date());
        out(values.json ? JSON.stringify(minted, null, 2) : minted.token);
        return 0;
      }
      case undefined:
        err(USAGE);
        return 2;
      case "help":
      case "-h":
      case "--help":
        out(rest[0] !== undefined && Object.hasOwn(COMMAND_HELP, rest[0]) ? commandHelp(rest[0]) : USAGE);
        return 0;
      case "-v":
      case "--version":
        out(version());
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"; the commands are ${Object.keys(COMMAND_HELP).join(", ")}`);
    }
  } catch (error) {
    return failure(error, err, command);
  }
}

/** On stderr, so the report on stdout stays the same for scripts: which rules were read. */
function readLine(rules: RulesArg): string {
  return `geo-compliance: reading rules from ${rules.shown}`;
}

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

function failure(error: unknown, err: (text: string) => void, command?: string): number {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    // One line: what is wrong, and where the help is; the full usage would bury it.
    const known = command !== undefined && Object.hasOwn(COMMAND_HELP, command);
    const message = (error as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, "");
    err(`geo-compliance${known ? ` ${command}` : ""}: ${message} (see geo-compliance ${known ? `${command} ` : ""}--help)`);
    return 2;
  }
  err(`geo-compliance: ${(error as Error).message}`);
  return 1;
}

const defaultOut = (t: string): void => void process.stdout.write(t + "\n");

/** The progress line, redrawn in place; only on a terminal, so CI logs and pipes get none. */
function terminalProgress(): ((line: string) => void) | null {
  if (!process.stderr.isTTY) return null;
  return (line) => void process.stderr.write(`\r\x1b[K${line.slice(0, Math.max(20, (process.stderr.columns ?? 80) - 1))}`);
}

/** Runs any command, including `logs` and `audit`, which finish asynchronously. */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = defaultOut,
  err: (text: string) => void = (t) => process.stderr.write(t + "\n"),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  if ((command !== "logs" && command !== "audit") || asksForHelp(rest)) return run(argv, out, err);
  try {
    if (command === "logs") return await runLogs(rest, out, err);
    // Loaded here: the audit's modules, and playwright-core behind them, are for this command only.
    const { runAudit } = await import("./audit/command.js");
    return await runAudit(rest, { out, err, env, progress: out === defaultOut ? terminalProgress() : null, version: version() });
  } catch (error) {
    if (error instanceof AuditSetupError) {
      err(`geo-compliance audit: ${error.message}`);
      return 2;
    }
    return failure(error, err, command);
  }
}


// Run only when executed as the `geo-compliance` command, not when imported by tests.
if (process.argv[1] && /(?:^|[\\/])(main\.js|geo-compliance)$/.test(process.argv[1])) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
