/** A strict reader of the Prometheus text exposition format (0.0.4): any line it does not understand is an error. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly type: string;
  help: string | null;
  readonly samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL_G = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;

function parseValue(text: string, lineNo: number): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${lineNo}: "${text}" is not a sample value`);
  return Number(text);
}

function familyOf(name: string, families: Map<string, Family>): string | null {
  if (families.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const f = families.get(base);
      if (f && (f.type === "histogram" || f.type === "summary")) return base;
    }
  }
  return null;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("the exposition must end with a newline");
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (line === "") return;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      const existing = families.get(m[1]!);
      if (existing && existing.type !== "pending") throw new Error(`line ${lineNo}: a second TYPE for ${m[1]}`);
      families.set(m[1]!, { type: m[2]!, help: existing?.help ?? null, samples: [] });
      return;
    }
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      const f = families.get(m[1]!);
      if (f?.help) throw new Error(`line ${lineNo}: a second HELP for ${m[1]}`);
      if (f) f.help = m[2]!;
      else families.set(m[1]!, { type: "pending", help: m[2]!, samples: [] });
      return;
    }
    if (line.startsWith("#")) throw new Error(`line ${lineNo}: a comment that is neither HELP nor TYPE: ${line}`);
    m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${lineNo}: not a sample: ${line}`);
    const family = familyOf(m[1]!, families);
    if (!family || families.get(family)!.type === "pending") throw new Error(`line ${lineNo}: sample ${m[1]} before its TYPE`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL_G)) {
      if (l[1]! in labels) throw new Error(`line ${lineNo}: label ${l[1]} twice`);
      labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    families.get(family)!.samples.push({ name: m[1]!, labels, value: parseValue(m[3]!, lineNo) });
  });
  for (const [name, f] of families) {
    if (f.type === "pending") throw new Error(`${name}: HELP without TYPE`);
    if (f.type === "histogram") checkHistogram(name, f);
  }
  return families;
}

/** Buckets are cumulative, end with +Inf, and the +Inf bucket equals the count. */
function checkHistogram(name: string, f: Family): void {
  const buckets = f.samples.filter((s) => s.name === `${name}_bucket`);
  const count = f.samples.find((s) => s.name === `${name}_count`);
  if (!count || !f.samples.some((s) => s.name === `${name}_sum`)) throw new Error(`${name}: a histogram without _sum or _count`);
  let previous = -Infinity;
  let last = 0;
  for (const b of buckets) {
    const le = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
    if (!(le > previous)) throw new Error(`${name}: bucket le=${b.labels.le} out of order`);
    if (b.value < last) throw new Error(`${name}: bucket le=${b.labels.le} is not cumulative`);
    previous = le;
    last = b.value;
  }
  if (previous !== Infinity) throw new Error(`${name}: no +Inf bucket`);
  if (last !== count.value) throw new Error(`${name}: +Inf bucket ${last} differs from _count ${count.value}`);
}

/** The value of the one sample with this name and these labels (and no others). */
export function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}
