import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { shippedRules } from "../src/index.js";
import {
  compileSchema,
  RULES_SCHEMA,
  readSchema,
  schemaModule,
  schemaValidator,
  TRACKERS_SCHEMA,
  type PrecompiledSchema,
} from "../src/rules/schema-validator.js";

// Inside the package, so that the module's require("ajv/…") finds this package's ajv.
const here = fileURLToPath(new URL(".", import.meta.url));
const tmp = (): string => mkdtempSync(join(here, "schema-validator-"));

const shippedDocs = (trackers: boolean): unknown[] =>
  readdirSync(shippedRules)
    .filter((f) => f.endsWith(".yaml") && f.startsWith("trackers") === trackers)
    .map((f) => parse(readFileSync(join(shippedRules, f), "utf8")) as unknown);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const json = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;

/** Every path to a value inside `doc`, the root included. */
function paths(doc: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (doc !== null && typeof doc === "object") for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...at, k]));
  return out;
}

/** `doc` with the value at `path` replaced (or deleted, for `undefined`). */
function mutate(doc: Json, path: ReadonlyArray<string | number>, value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? {} : value;
  const copy = json(doc);
  let node = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  if (node === null || typeof node !== "object") return copy; // replaced by a scalar higher up
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

const schemas: Array<{ name: string; spec: PrecompiledSchema; docs: unknown[]; samples: Json[] }> = [
  { name: "rule", spec: RULES_SCHEMA, docs: shippedDocs(false), samples: ["RU", "UA-43", "https://example.org/", "not a url", "2026-01-01", ["RU"]] },
  { name: "tracker list", spec: TRACKERS_SCHEMA, docs: shippedDocs(true), samples: ["analytics", "Example.com", "example.com", " vendor", ["example.com", "example.com"]] },
];

for (const { name, spec, docs, samples } of schemas) describe(`${name} schema validator compiled ahead of time`, function () {
  this.timeout(60000);
  const schema = readSchema(spec);
  const dir = tmp();
  const file = join(dir, "validator.cjs");
  writeFileSync(file, schemaModule(spec, schema));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is used when it was made from the schema in force, and not when the schema has changed since", () => {
    expect(schemaValidator(spec, schema, file).precompiled).to.equal(true);
    const changed = schema.replace(/"minItems": ?1/, '"minItems": 2');
    expect(changed).to.not.equal(schema);
    expect(schemaValidator(spec, changed, file).precompiled).to.equal(false);
    expect(schemaValidator(spec, schema, join(dir, "none.cjs")).precompiled).to.equal(false);
  });

  it("reports the same errors as the schema compiled at start-up, on the shipped files changed at random", () => {
    expect(docs).to.not.be.empty;
    const ahead = schemaValidator(spec, schema, file).validate;
    const now = compileSchema(spec, schema);
    const values: fc.Arbitrary<Json | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom<Json>(null, true, 0, -1, 1.5, "", "x", [], {}, { unknown: 1 }, ...samples),
      fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
    );
    const cases = fc.integer({ min: 0, max: docs.length - 1 }).chain((d) => {
      const doc = json(docs[d]);
      return fc.tuple(fc.constant(doc), fc.constantFrom(...paths(doc)), values, fc.boolean());
    });
    let invalid = 0;
    fc.assert(
      fc.property(cases, ([doc, path, value, addKey]) => {
        let changed = mutate(doc, path, value);
        if (addKey) changed = mutate(changed, [...path.slice(0, -1), "unknown_key"], 1);
        const a = ahead(changed);
        const b = now(changed);
        expect(a).to.equal(b);
        expect(ahead.errors ?? null).to.deep.equal(now.errors ?? null);
        if (!a) invalid++;
      }),
      { numRuns: 400 },
    );
    // The property is about errors: most of the changed files must be invalid.
    expect(invalid).to.be.greaterThan(200);
    for (const doc of docs) expect(ahead(doc), JSON.stringify(ahead.errors)).to.equal(true);
  });
});
