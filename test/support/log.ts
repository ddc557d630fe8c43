import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/package-root.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type Line = Record<string, unknown>;

/** The JSON lines of a log file. */
export function readLines(file: string): Line[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Line);
}

let validator: ValidateFunction | null = null;

/** The published schema, docs/decision-log.schema.json, compiled in strict mode. */
export function schemaValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(join(packageRoot(), "docs/decision-log.schema.json"), "utf8")) as object);
  }
  return validator;
}

/** Runs `task` over `items` with at most `concurrency` at a time, keeping the results in order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export const get = (url: string, ip: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(url, { ...init, headers: { "X-Forwarded-For": ip, ...(init.headers ?? {}) } });
