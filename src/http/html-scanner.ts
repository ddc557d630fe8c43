/**
 * A streaming HTML scanner that finds tags without building a document. Bytes are never decoded:
 * every ASCII-compatible charset (UTF-8, windows-1251, KOI8-R, ISO-8859-1, Shift_JIS, GBK…) keeps
 * '<', '>', quotes and tag names as the same single bytes, so text passes through as it came.
 *
 * It follows the WHATWG tokenizer where the tokenizer decides what is a tag: comments (including
 * `--!>` and the abrupt `<!-->`), bogus comments and doctypes, raw-text and RCDATA elements (script
 * with its escaped states, style, textarea, title, xmp, iframe, noembed, noframes, plaintext),
 * attribute values whose quotes hide '>', upper-case names, CDATA in SVG and MathML. It does not
 * build a tree, but asks `HtmlTree` (the part of tree construction the tokenizer depends on, with
 * scripting on) at the tags whose names matter: `<noscript>` is raw text, SVG and MathML are left
 * and re-entered as the standard's tree builder does, `<image>` is an `<img>`.
 *
 * Only tags the handler wants are assembled and reported; all other bytes go out as slices of the
 * input, so the cost is an `indexOf('<')` per tag plus a walk over the tag itself.
 */

import { HtmlTree, Made } from "./html-tree.js";

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const DASH = 0x2d;
const QMARK = 0x3f;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** What each byte is to the tokenizer, one bit a class: a table lookup where the name and value loops would compare several times. */
const WS = 1;
const NAME_END = 2;
const ATTR_NAME_END = 4;
const UNQUOTED_END = 8;
const UPPER = 16;
const CLASSES = new Uint8Array(256);
// CR counts as whitespace: the input stream preprocessor turns it into LF before tokenizing.
for (const c of [0x20, 0x0a, 0x09, 0x0c, 0x0d]) CLASSES[c] = WS | NAME_END | ATTR_NAME_END | UNQUOTED_END;
CLASSES[SLASH] = NAME_END | ATTR_NAME_END;
CLASSES[GT] = NAME_END | ATTR_NAME_END | UNQUOTED_END;
CLASSES[EQ] = ATTR_NAME_END;
for (let c = 0x41; c <= 0x5a; c++) CLASSES[c] = UPPER;
/** Each byte with ASCII upper-case letters made lower case. */
const LOWER = Uint8Array.from({ length: 256 }, (_, c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));

function isWs(c: number): boolean {
  return (CLASSES[c]! & WS) !== 0;
}

function isAlpha(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

/**
 * `buf.indexOf(byte, from)`. Text between tags and attribute values are mostly short: the first
 * bytes are looked at here, which costs less than a call into the runtime.
 */
function find(buf: Buffer, byte: number, from: number): number {
  const near = Math.min(buf.length, from + 16);
  for (let i = from; i < near; i++) if (buf[i] === byte) return i;
  return near === buf.length ? -1 : buf.indexOf(byte, near);
}

/**
 * The tokenizer's attribute states from the before-attribute-name state at buf[pos], keeping
 * nothing: what `readAttributes` does when it seeks, for a tag read over. Returns the index of the
 * '>' that ends the tag, -2 at an attribute named one of `needles` (or one of `values.values` with
 * a value `values.needed` asks for), or -1 at the end of the chunk.
 */
function skimAttributes(buf: Buffer, pos: number, seek: SkimNeedles): number {
  const len = buf.length;
  const { names, values } = seek;
  for (;;) {
    // Before the attribute name: whitespace and '/' (a '/' not before '>' is read again here) are passed over.
    if (pos === len) return -1;
    let c = buf[pos]!;
    while ((CLASSES[c]! & WS) !== 0 || c === SLASH) {
      if (++pos === len) return -1;
      c = buf[pos]!;
    }
    if (c === GT) return pos;
    // The attribute name: its first byte is part of it, even '=' or a quote.
    const nameStart = pos;
    do {
      if (++pos === len) return -1;
      c = buf[pos]!;
    } while ((CLASSES[c]! & ATTR_NAME_END) === 0);
    const length = pos - nameStart;
    const sign = shapeBit(length, buf[nameStart]!);
    if ((seek.namesShape & sign) === sign && isNeedleAt(buf, nameStart, length, names)) return -2;
    // An attribute whose value decides: its value (if it has one) is looked at where it ends.
    const valued = values !== null && (seek.valuesShape & sign) === sign && isNeedleAt(buf, nameStart, length, values.values);
    if (c !== EQ) {
      // After the attribute name.
      while ((CLASSES[c]! & WS) !== 0) {
        if (++pos === len) return -1;
        c = buf[pos]!;
      }
      if (c === GT) return pos;
      // '/' and anything else but '=' go on before an attribute name (which reads '/>' as the end).
      if (c !== EQ) continue;
    }
    // Before the value.
    if (++pos === len) return -1;
    c = buf[pos]!;
    while ((CLASSES[c]! & WS) !== 0) {
      if (++pos === len) return -1;
      c = buf[pos]!;
    }
    if (c === GT) return pos;
    if (c === DQ || c === SQ) {
      const q = find(buf, c, pos + 1);
      if (q === -1) return -1;
      if (valued && values.needed(buf, pos + 1, q)) return -2;
      pos = q + 1;
      continue;
    }
    const valueStart = pos;
    while ((CLASSES[c]! & UNQUOTED_END) === 0) {
      if (++pos === len) return -1;
      c = buf[pos]!;
    }
    if (valued && values.needed(buf, valueStart, pos)) return -2;
    if (c === GT) return pos;
    pos++;
  }
}

/**
 * The tokenizer's comment states from the comment start state at buf[pos] (after `<!--`): returns
 * the index of the '>' that ends the comment (`-->`, `--!>`, or the abrupt `<!-->` and `<!--->`),
 * or -1 when it does not end in this chunk.
 */
function commentEnd(buf: Buffer, pos: number): number {
  const len = buf.length;
  if (pos >= len) return -1;
  if (buf[pos] === GT) return pos;
  if (buf[pos] === DASH) {
    if (pos + 1 >= len) return -1;
    if (buf[pos + 1] === GT) return pos + 1;
    // '-' then anything else is comment text, read from the '-' on: a second '-' makes '--'.
  }
  for (;;) {
    const d = buf.indexOf(DASH, pos);
    if (d === -1 || d + 1 >= len) return -1;
    if (buf[d + 1] !== DASH) {
      pos = d + 1;
      continue;
    }
    // The comment end state: more dashes stay in it.
    let k = d + 2;
    while (k < len && buf[k] === DASH) k++;
    if (k >= len) return -1;
    const c = buf[k];
    if (c === GT) return k;
    if (c === BANG) {
      if (k + 1 >= len) return -1;
      if (buf[k + 1] === GT) return k + 1;
    }
    pos = c === BANG ? k + 1 : k;
  }
}

function isList(wants: readonly string[] | ValueNeedles): wants is readonly string[] {
  return Array.isArray(wants);
}

/** Whether the attribute name at buf[start, start + length) is one of the (lower-case) needles, ASCII case-insensitively. */
function isNeedleAt(buf: Buffer, start: number, length: number, needles: readonly string[]): boolean {
  next: for (const needle of needles) {
    if (length !== needle.length) continue;
    for (let i = 0; i < length; i++) if ((buf[start + i]! | 0x20) !== needle.charCodeAt(i)) continue next;
    return true;
  }
  return false;
}

/**
 * Names of elements and attributes, so that most names are found without making a string of their
 * bytes: by a hash of the bytes (ASCII letters folded to lower case) into a table, then checked
 * byte by byte. A name not in the table is made from its bytes.
 */
class KnownNames {
  private static readonly SIZE = 4096;
  private static readonly MAX = 16;
  /** By slot: the index of the name in `names`, or -1. */
  private readonly slots = new Int16Array(KnownNames.SIZE).fill(-1);
  private readonly names: string[];
  /** By index: the name's length, and where its bytes are in `bytes` (read there rather than from the strings). */
  private readonly lengths: Uint8Array;
  private readonly offsets: Uint16Array;
  private readonly bytes: Uint8Array;

  constructor(names: string) {
    this.names = names.split(" ");
    this.lengths = Uint8Array.from(this.names, (name) => name.length);
    this.offsets = new Uint16Array(this.names.length);
    this.bytes = Buffer.from(this.names.join(""), "latin1");
    let offset = 0;
    this.names.forEach((name, index) => {
      this.offsets[index] = offset;
      offset += name.length;
      let h = 0;
      for (let i = 0; i < name.length; i++) h = KnownNames.step(h, name.charCodeAt(i));
      const slot = KnownNames.slot(h, name.length);
      // The table is sized and the hash mixed so that no two of the names share a slot.
      if (this.slots[slot] !== -1) throw new Error(`KnownNames: "${name}" and "${this.names[this.slots[slot]!]}" share a slot`);
      this.slots[slot] = index;
    });
  }

  /** How many names there are: the indexes `find` returns are below this. */
  get count(): number {
    return this.names.length;
  }

  private static slot(h: number, length: number): number {
    const u = h + length;
    return (u ^ (u >>> 9)) & (KnownNames.SIZE - 1);
  }

  /** The hash `find` looks a name up by, one byte at a time from 0. */
  static step(h: number, c: number): number {
    return (Math.imul(h, 31) + (c | 0x20)) | 0;
  }

  /** `step` over buf[start, end). */
  static hash(buf: Buffer, start: number, end: number): number {
    let h = 0;
    for (let i = start; i < end; i++) h = KnownNames.step(h, buf[i]!);
    return h;
  }

  /** The (lower-case) names of up to four bytes, each with its index. */
  short(): Array<[string, number]> {
    return this.names.flatMap((name, index): Array<[string, number]> => (name.length <= 4 ? [[name, index]] : []));
  }

  /** The index of the name at buf[start, end) (`h` its hash, made by `step`), or -1 when it is not one of these. */
  find(buf: Buffer, start: number, end: number, h: number): number {
    const length = end - start;
    if (length > KnownNames.MAX) return -1;
    const index = this.slots[KnownNames.slot(h, length)]!;
    if (index < 0 || this.lengths[index] !== length) return -1;
    const bytes = this.bytes;
    const offset = this.offsets[index]! - start;
    // Only ASCII upper-case letters fold (as the tokenizer folds them).
    for (let i = start; i < end; i++) if (LOWER[buf[i]!] !== bytes[offset + i]) return -1;
    return index;
  }

  /** The (lower-case) name at an index `find` returned. */
  name(index: number): string {
    return this.names[index]!;
  }
}

const ELEMENT_NAMES = new KnownNames(
  "a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins kbd label legend li link main map mark math menu meta meter nav noembed noframes noscript object ol optgroup option output p param picture plaintext pre progress q rp rt ruby s samp script search section select slot small source span strong style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track u ul var video wbr xmp font center nobr big strike tt listing " +
    "path g circle rect line polyline polygon use defs symbol desc foreignobject lineargradient radialgradient stop clippath mask pattern filter text tspan set animate mi mo mn ms mtext mglyph malignmark annotation-xml",
);

/**
 * The element names of up to four bytes, found by their bytes packed in one integer (the first byte
 * highest; a name begins with a letter, so names of different lengths never share one): no hashing,
 * and one comparison to be sure.
 */
class ShortNames {
  private static readonly SIZE = 1024;
  private readonly keys = new Int32Array(ShortNames.SIZE);
  private readonly indexes = new Int16Array(ShortNames.SIZE);

  constructor(names: ReadonlyArray<[string, number]>) {
    for (const [name, index] of names) {
      let key = 0;
      for (let i = 0; i < name.length; i++) key = (key << 8) | name.charCodeAt(i);
      let slot = ShortNames.slot(key);
      while (this.keys[slot] !== 0) slot = (slot + 1) & (ShortNames.SIZE - 1);
      this.keys[slot] = key;
      this.indexes[slot] = index;
    }
  }

  private static slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> 22;
  }

  /** The index of the name packed in `key` (bytes folded to lower case), or -1. */
  find(key: number): number {
    for (let slot = ShortNames.slot(key); ; slot = (slot + 1) & (ShortNames.SIZE - 1)) {
      const k = this.keys[slot]!;
      if (k === key) return this.indexes[slot]!;
      if (k === 0) return -1;
    }
  }
}

const SHORT_ELEMENT_NAMES = new ShortNames(ELEMENT_NAMES.short());

const ATTRIBUTE_NAMES = new KnownNames(
  "id class style title lang dir hidden href src srcset sizes alt width height loading decoding rel type name content charset http-equiv property media as crossorigin integrity referrerpolicy async defer nomodule nonce ping target download role tabindex autofocus value placeholder for action method data poster background " +
    "datetime itemprop itemscope itemtype aria-label aria-hidden aria-current aria-expanded aria-controls viewbox fill stroke d xmlns xlink:href fetchpriority imagesrcset frameborder allow allowfullscreen sandbox srcdoc colspan rowspan",
);


const enum S {
  Data,
  TagOpen,
  EndTagOpen,
  TagName,
  BeforeAttrName,
  AttrName,
  AfterAttrName,
  BeforeAttrValue,
  AttrValueDq,
  AttrValueSq,
  AttrValueUnq,
  AfterAttrValueQuoted,
  SelfClosing,
  MarkupDecl,
  MarkupDeclDash,
  MarkupDeclCdata,
  BogusComment,
  CommentStart,
  CommentStartDash,
  Comment,
  CommentEndDash,
  CommentEnd,
  CommentEndBang,
  Cdata,
  CdataBracket,
  CdataEnd,
  Raw,
  RawLt,
  RawEndName,
  ScriptData,
  ScriptLt,
  ScriptEndName,
  ScriptEscapeStart,
  ScriptEscapeStartDash,
  ScriptEscaped,
  ScriptEscapedDash,
  ScriptEscapedDashDash,
  ScriptEscapedLt,
  ScriptEscapedEndName,
  ScriptDoubleEscapeStart,
  ScriptDoubleEscaped,
  ScriptDoubleEscapedDash,
  ScriptDoubleEscapedDashDash,
  ScriptDoubleEscapedLt,
  ScriptDoubleEscapeEnd,
  Plaintext,
}

/** One attribute of a reported tag; offsets are into `ScannedTag.raw`. */
export interface ScannedAttr {
  /** Lower-case name. */
  readonly name: string;
  readonly nameStart: number;
  readonly nameEnd: number;
  /** -1 when the attribute has no value. Excludes the quotes. */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** The quote byte (0x22, 0x27) or 0 for an unquoted value. */
  readonly quote: number;
}

export interface ScannedTag {
  /** Lower-case name. */
  readonly name: string;
  readonly end: boolean;
  /** The tag's bytes as Latin-1 text: one character per byte, so it converts back exactly. */
  readonly raw: string;
  readonly attrs: readonly ScannedAttr[];
  readonly selfClosing: boolean;
  /** Made in SVG or MathML (an `<svg>` or `<math>` start tag included), not as an HTML element. */
  readonly foreign: boolean;
}

/** What to do at a reported tag. Bytes are emitted in the order before, tag (or replace), after. */
export interface TagEdit {
  before?: Buffer | undefined;
  replace?: Buffer | undefined;
  after?: Buffer | undefined;
  /** For a script (or other raw-text) start tag: hold the tag and its content, then ask `scriptContent` (`rawContent`) about it. */
  holdContent?: boolean;
  /** Drop everything after this tag until an edit says `resume`. */
  suppress?: boolean;
  /** Stop dropping: "before" this tag (it is emitted) or "after" it (it is dropped too). */
  resume?: "before" | "after";
  /**
   * Keep the output back from here ("before" this tag, after `before`; or "after" it), behind
   * these provisional bytes, until an edit says `release`. Bounded: past `maxTagBytes` the output
   * flows again, provisional bytes first.
   */
  hold?: { readonly bytes: Buffer; readonly at: "before" | "after" };
  /** Let the output kept back go, first of all for this tag: with its provisional bytes, or these in their place. */
  release?: "keep" | Buffer;
}

/**
 * A start tag is assembled only if it has an attribute named one of `names`, or one named one of
 * `values` whose value `needed` asks for.
 */
export interface ValueNeedles {
  /** Lower-case names. */
  readonly names: readonly string[];
  /** Lower-case names. */
  readonly values: readonly string[];
  /** Whether the value at buf[start, end) (its bytes as they are in the page, quotes excluded) gets the tag assembled. */
  readonly needed: (buf: Buffer, start: number, end: number) => boolean;
  /** `names` and `values` together. */
  readonly all: readonly string[];
}

export interface ScanHandler {
  /**
   * Whether tags with this lower-case name are assembled and reported. Called once per tag.
   * A list of (lower-case) attribute names means: only if the tag has an attribute of one of them;
   * `ValueNeedles` says the same of some attributes' values.
   */
  wants(name: string, end: boolean): boolean | readonly string[] | ValueNeedles;
  /** Once true it stays so, and `wants` answers by the name (and whether the tag ends an element) alone: the scanner keeps its answers. */
  readonly settled?: boolean;
  startTag(tag: ScannedTag): TagEdit | undefined;
  endTag(tag: ScannedTag): TagEdit | undefined;
  /**
   * The content of a script held with `holdContent`: returns bytes to put in place of its start
   * tag, or `{ content }` to put in place of its content, if any.
   */
  scriptContent(tag: ScannedTag, content: Buffer): Buffer | { readonly content: Buffer } | undefined;
  /** The content of another raw-text element held with `holdContent` (`<noscript>`): returns bytes to put in its place, if any. */
  rawContent?(tag: ScannedTag, content: Buffer): Buffer | undefined;
  /** While true, the first non-whitespace text outside tags is reported through `text`. */
  readonly watchText: boolean;
  /** Non-whitespace text (or a stray '<') is about to be emitted: bytes to put before it (`before`), or `release`. */
  text(): Pick<TagEdit, "before" | "release"> | undefined;
  /** The output kept back went out, provisional bytes first, because it grew past the bound. */
  holdEnded?(): void;
  /** End of input: bytes to append. */
  end(): Buffer | undefined;
  /** A tag or script was too long to inspect and went out unchanged. */
  abandoned?(what: string): void;
  /** An inline script too long to inspect: its start tag, replaced if the handler says so (switched off). */
  oversizedScript?(tag: ScannedTag): Buffer | undefined;
  /**
   * A start tag it wanted, too long to inspect: bytes to put right after the tag's name (attributes
   * that come before the tag's own, and so win over them), if the handler says so.
   */
  oversizedTag?(name: string): Buffer | undefined;
}

export interface ScannerLimits {
  /** The longest tag assembled for the handler; longer ones pass through uninspected. */
  readonly maxTagBytes: number;
  /** The longest inline script held for inspection. */
  readonly maxScriptBytes: number;
}

export const DEFAULT_LIMITS: ScannerLimits = { maxTagBytes: 64 * 1024, maxScriptBytes: 512 * 1024 };

/** How `skim` takes a tag of a known name. */
const enum Skim {
  Unknown,
  /** Not reported and the tree needs nothing of it: read over. */
  Pass,
  /** Read over unless it has an attribute of `skimNeedles`. */
  Seek,
  /** Left to the state machine. */
  General,
}

/**
 * The attributes that get a `Skim.Seek` tag assembled, with the lengths and first letters of their
 * names as bits (`shapeBit`): most attribute names are passed over on those alone.
 */
interface SkimNeedles {
  readonly names: readonly string[];
  readonly namesShape: number;
  readonly values: ValueNeedles | null;
  readonly valuesShape: number;
}

/** A bit for a name's length (up to 15: longer ones share a bit) and one for its first byte, ASCII case folded (16 classes). */
function shapeBit(length: number, first: number): number {
  return (1 << Math.min(length, 15)) | (1 << (16 + ((first | 0x20) & 15)));
}

function shapeOf(names: readonly string[]): number {
  let shape = 0;
  for (const n of names) shape |= shapeBit(n.length, n.charCodeAt(0));
  return shape;
}

function skimNeedles(wants: readonly string[] | ValueNeedles | null): SkimNeedles {
  const names = wants === null ? [] : isList(wants) ? wants : wants.names;
  const values = wants === null || isList(wants) ? null : wants;
  return { names, namesShape: shapeOf(names), values, valuesShape: values === null ? 0 : shapeOf(values.values) };
}

const NO_NEEDLES = skimNeedles(null);

/** `wants`' answers once settled, by `ELEMENT_NAMES` index (end tags after start tags), and how `skim` reads each tag. */
class SettledAnswers {
  readonly wants: (boolean | readonly string[] | ValueNeedles | undefined)[] = new Array<undefined>(2 * ELEMENT_NAMES.count).fill(undefined);
  /** `Skim`, 0 until asked. */
  readonly kinds = new Uint8Array(2 * ELEMENT_NAMES.count);
  /** For a `Skim.Seek` tag: the attributes that get it assembled. */
  readonly needles: (SkimNeedles | undefined)[] = new Array<undefined>(2 * ELEMENT_NAMES.count).fill(undefined);
}

const SCRIPT = "script";
const GT_BYTES = Buffer.from(">");
const COMMENT_CLOSE = Buffer.from("-->");
const CDATA_CLOSE = Buffer.from("]]>");

interface MutableAttr {
  nameStart: number;
  nameEnd: number;
  /** `KnownNames.step` over the name's bytes read so far. */
  nameHash: number;
  valueStart: number;
  valueEnd: number;
  quote: number;
}

export class HtmlScanner {
  private state: S = S.Data;
  private buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of buf[0] in the stream. */
  private base = 0;
  /** Bytes of buf before this index have been emitted (or dropped). */
  private emitStart = 0;
  private suppressed = false;

  // Holding: bytes from `holdStartInBuf` (and `holdPieces` from earlier chunks) are kept back.
  private holding = false;
  private holdStartInBuf = 0;
  private holdPieces: Buffer[] = [];
  private heldBytes = 0;

  // The tag being read.
  private tagStartAbs = 0;
  private tagEnd = false;
  private tagName = "";
  private namePrefix = "";
  private nameStartInBuf = 0;
  /** How many bytes the name of the tag being read has in the page. */
  private nameBytes = 0;
  private nameUpper = false;
  /** `KnownNames.step` over the bytes of the name read so far. */
  private nameHash = 0;
  private wanted = false;
  /** The start tag is reported only if it has an attribute of one of these names (lower case). */
  private needles: readonly string[] | null = null;
  /** The needles whose value decides (`ValueNeedles`), and how; an attribute of one of them counts as found where the value is not looked at. */
  private valueNeedles: readonly string[] | null = null;
  private valueNeeded: ValueNeedles["needed"] | null = null;
  /** `needles` and `valueNeedles` together. */
  private anyNeedles: readonly string[] | null = null;
  private needleFound = false;
  /** What is kept of `wants`' answers once the handler says they are settled: made then (most nested scanners never need it). */
  private answers: SettledAnswers | null = null;
  /** Where `readAttributes` stopped at the end of a chunk. */
  private attrState: S = S.BeforeAttrName;
  private selfClosing = false;
  private attrs: MutableAttr[] = [];
  /** How many of `attrs` the tag being read has. */
  private attrCount = 0;
  private attr: MutableAttr | null = null;

  // Raw text and script content.
  private rawName = "";
  private matchIdx = 0;
  private candidateAbs = 0;
  private doubleIdx = 0;
  private doubleOk = false;
  private scriptTag: ScannedTag | null = null;
  private scriptTagBytes: Buffer | null = null;
  private scriptContentAbs = 0;

  private cdataIdx = 0;
  /** The start tag being read is `<image>`, which the tree builder makes an `<img>`. */
  private imageAsImg = false;
  /** Whether the handler asked for the tag (it may be assembled for the tree's sake alone). */
  private reported = false;
  /** A byte order mark (EF BB BF) opens the stream: its three bytes are not text. */
  private bomLength = 0;
  /** Output kept back behind provisional bytes (see `TagEdit.hold`), or null. */
  private kept: Buffer[] | null = null;
  private keptBytes = 0;
  private provisional: Buffer = Buffer.alloc(0);
  /** The end tag being read is the one that ends a raw-text element. */
  private rawEnd = false;
  private ended = false;

  constructor(
    private readonly handler: ScanHandler,
    private readonly out: (chunk: Buffer) => void,
    private readonly limits: ScannerLimits = DEFAULT_LIMITS,
    private readonly tree: HtmlTree = new HtmlTree(),
  ) {}

  write(chunk: Buffer): void {
    if (this.ended) throw new Error("write after end");
    if (chunk.length === 0) return;
    if (this.base === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) this.bomLength = 3;
    this.buf = chunk;
    this.emitStart = 0;
    if (this.holding) this.holdStartInBuf = 0;
    if (this.state === S.TagName) this.nameStartInBuf = 0;
    this.run();
    if (this.holding) {
      this.flushTo(this.holdStartInBuf);
      if (this.holdStartInBuf < chunk.length) {
        // A copy: the app may reuse its buffer once the write is done.
        const piece = Buffer.from(chunk.subarray(this.holdStartInBuf));
        this.holdPieces.push(piece);
        this.heldBytes += piece.length;
        this.checkHoldLimit();
      }
    } else {
      this.flushTo(chunk.length);
    }
    if (this.state === S.TagName) this.namePrefix += this.nameSlice(chunk.length);
    this.base += chunk.length;
    this.emitStart = 0;
    this.buf = Buffer.alloc(0);
  }

  /** Ends the input: closes whatever construct was left open, so what the handler appends is not swallowed by it. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endInput();
    // Output still kept back: nothing said otherwise, so the provisional bytes stay.
    this.releaseKept("keep");
  }

  private endInput(): void {
    const state = this.state;
    if (this.scriptTag) {
      // EOF inside a held script: the browser runs what it has.
      this.resolveScript(this.base, true);
    } else if (this.holding) {
      // An unfinished tag is dropped by the browser; put the appended bytes before it.
      this.suppressed = false;
      const tail = this.handler.end();
      if (tail) {
        this.closeTree();
        this.emit(tail);
      }
      this.releaseHold();
      return;
    }
    // A replaced element left open to the end: what follows the page is not part of it.
    this.suppressed = false;
    const tail = this.handler.end();
    if (!tail) return;
    // Close whatever was left open, so that the appended markup is not swallowed by it.
    if (state === S.BogusComment || state === S.MarkupDecl || state === S.MarkupDeclDash || state === S.MarkupDeclCdata) {
      this.emit(GT_BYTES);
    } else if (state >= S.CommentStart && state <= S.CommentEndBang) {
      this.emit(COMMENT_CLOSE);
    } else if (state >= S.Cdata && state <= S.CdataEnd) {
      this.emit(CDATA_CLOSE);
    } else if (state >= S.ScriptDoubleEscapeStart && state <= S.ScriptDoubleEscapeEnd) {
      // Double-escaped, a </script> does not end the script: the escape has to end first.
      this.emit(Buffer.from(`--></${this.rawName}>`));
    } else if (state >= S.Raw && state <= S.ScriptDoubleEscapeEnd) {
      this.emit(Buffer.from(`</${this.rawName}>`, "latin1"));
    } else if (state === S.AttrValueDq) {
      this.emit(Buffer.from('">'));
    } else if (state === S.AttrValueSq) {
      this.emit(Buffer.from("'>"));
    } else if (state >= S.TagName && state <= S.SelfClosing) {
      this.emit(GT_BYTES);
    }
    this.closeTree();
    this.emit(tail);
  }

  /** SVG/MathML and templates left open would take appended markup in; the end of the page closes them anyway. */
  private closeTree(): void {
    const closing = this.tree.leave() + "</template>".repeat(this.tree.templates);
    this.tree.templates = 0;
    if (closing !== "") this.emit(Buffer.from(closing, "latin1"));
  }

  /**
   * Gives up: returns the input bytes not yet emitted, unchanged, in order, and stops.
   * Used when the handler throws, so the rest of the page goes out as it came.
   */
  abort(): Buffer[] {
    // What was kept back was emitted as far as the page is concerned: it goes first.
    this.releaseKept("keep");
    const pieces: Buffer[] = [];
    const buf = this.buf;
    if (this.holding) {
      if (this.holdStartInBuf > this.emitStart) pieces.push(buf.subarray(this.emitStart, this.holdStartInBuf));
      if (this.scriptTagBytes) pieces.push(this.scriptTagBytes);
      pieces.push(...this.holdPieces);
      if (this.holdStartInBuf < buf.length) pieces.push(buf.subarray(this.holdStartInBuf));
    } else if (this.emitStart < buf.length) {
      pieces.push(buf.subarray(this.emitStart));
    }
    this.ended = true;
    this.holding = false;
    this.holdPieces = [];
    this.scriptTag = null;
    this.scriptTagBytes = null;
    this.buf = Buffer.alloc(0);
    this.emitStart = 0;
    return pieces.filter((p) => p.length > 0);
  }

  // ---------------------------------------------------------------------------
  // Output

  private emit(piece: Buffer): void {
    if (!this.suppressed && piece.length > 0) this.send(piece);
  }

  private flushTo(pos: number): void {
    if (pos > this.emitStart) {
      if (!this.suppressed) this.send(this.buf.subarray(this.emitStart, pos));
      this.emitStart = pos;
    }
  }

  private send(piece: Buffer): void {
    if (this.kept === null) {
      this.out(piece);
      return;
    }
    // A copy: the app may reuse its buffer once the write is done.
    this.kept.push(Buffer.from(piece));
    this.keptBytes += piece.length;
    if (this.keptBytes > this.limits.maxTagBytes) {
      this.releaseKept("keep");
      this.handler.holdEnded?.();
    }
  }

  private keepOutput(provisional: Buffer): void {
    if (this.kept !== null) return;
    this.kept = [];
    this.keptBytes = 0;
    this.provisional = provisional;
  }

  private releaseKept(how: "keep" | Buffer): void {
    const kept = this.kept;
    if (kept === null) return;
    this.kept = null;
    const first = how === "keep" ? this.provisional : how;
    if (first.length > 0) this.out(first);
    for (const piece of kept) this.out(piece);
  }

  private beginHold(pos: number): void {
    this.holding = true;
    this.holdStartInBuf = pos;
    this.heldBytes = 0;
  }

  /** Emits what was held, unchanged, and lets bytes flow again. */
  private releaseHold(): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.holdPieces.length > 0) {
      for (const piece of this.holdPieces) this.emit(piece);
      this.holdPieces = [];
    }
    this.heldBytes = 0;
    // The held part of the current buffer flows with the rest of it.
  }

  /** The held bytes from the hold start up to `end` (exclusive, in buf) as one buffer. */
  private heldUpTo(end: number): Buffer {
    const tail = this.buf.subarray(this.holdStartInBuf, end);
    if (this.holdPieces.length === 0) return tail;
    return Buffer.concat([...this.holdPieces, tail]);
  }

  private checkHoldLimit(): void {
    if (this.scriptTag) {
      if (this.heldBytes > this.limits.maxScriptBytes) {
        // Too long to inspect: the content goes as it came (a script's start tag as the handler says), and the rest is scanned as usual.
        const tag = this.scriptTag;
        const tagBytes = this.scriptTagBytes!;
        this.scriptTag = null;
        this.scriptTagBytes = null;
        const isScript = tag.name === SCRIPT;
        const replacement = isScript ? this.handler.oversizedScript?.(tag) : undefined;
        this.emit(replacement ?? tagBytes);
        this.releaseHold();
        if (replacement === undefined) this.handler.abandoned?.(isScript ? "an inline script longer than the inspection limit" : `a <${this.rawName}> longer than the inspection limit`);
      }
    } else if (this.wanted && this.heldBytes > this.limits.maxTagBytes) {
      this.wanted = false;
      this.attr = null;
      const first = this.tagEnd ? undefined : this.handler.oversizedTag?.(this.tagName);
      if (first !== undefined) {
        // Every held byte is in the pieces here (see `write`); the name ends `nameBytes` after the '<'.
        const held = Buffer.concat(this.holdPieces);
        const at = 1 + this.nameBytes;
        this.holdPieces = [held.subarray(0, at), first, held.subarray(at)];
      }
      this.releaseHold();
      if (first === undefined) this.handler.abandoned?.(`a <${this.tagName}> tag longer than the inspection limit`);
    }
  }

  // ---------------------------------------------------------------------------
  // Tags

  private nameSlice(end: number): string {
    return this.buf.toString("latin1", this.nameStartInBuf, end);
  }

  private startName(end: boolean, pos: number): void {
    this.tagEnd = end;
    this.namePrefix = "";
    this.nameStartInBuf = pos;
    this.nameUpper = false;
    this.nameHash = 0;
    this.selfClosing = false;
    this.attrCount = 0;
    this.attr = null;
  }

  private finishName(pos: number): void {
    let known = this.namePrefix === "" ? ELEMENT_NAMES.find(this.buf, this.nameStartInBuf, pos, this.nameHash) : -1;
    let name: string;
    if (known >= 0) name = ELEMENT_NAMES.name(known);
    else {
      name = this.namePrefix + this.nameSlice(pos);
      if (this.nameUpper) name = name.toLowerCase();
    }
    this.nameBytes = name.length;
    this.namePrefix = "";
    // Outside foreign content the tree builder makes <image> an <img> (taken as one where the tree is unsure: that is safe).
    this.imageAsImg = name === "image" && !this.tagEnd && (!this.tree.foreign || this.tree.unsure);
    if (this.imageAsImg) {
      name = "img";
      known = -1;
    }
    this.tagName = name;
    let wants: boolean | readonly string[] | ValueNeedles | undefined;
    if (known >= 0 && this.handler.settled === true) {
      // Kept by the index of the name, end tags after start tags.
      const index = this.tagEnd ? known + ELEMENT_NAMES.count : known;
      const answers = (this.answers ??= new SettledAnswers()).wants;
      wants = answers[index];
      if (wants === undefined) wants = answers[index] = this.handler.wants(name, this.tagEnd);
    } else {
      wants = this.handler.wants(name, this.tagEnd);
    }
    this.reported = wants !== false;
    this.wanted = this.reported;
    if (typeof wants !== "object") {
      this.needles = this.anyNeedles = this.valueNeedles = null;
    } else if (isList(wants)) {
      this.needles = this.anyNeedles = wants;
      this.valueNeedles = null;
    } else {
      this.needles = wants.names;
      this.valueNeedles = wants.values;
      this.valueNeeded = wants.needed;
      this.anyNeedles = wants.all;
    }
    this.needleFound = false;
    if (!this.tagEnd && (this.tree.needsAttributes(name) || (this.tree.unsure && this.tree.readsDifferently(name)))) {
      // The tree needs its attributes (<font color>, <annotation-xml encoding>): assembled, reported only if asked for.
      this.wanted = true;
      this.needles = this.anyNeedles = this.valueNeedles = null;
    }
    if (!this.wanted) this.releaseHold();
  }

  /** Whether an attribute's name is one of the needles (whatever its value); a name split across chunks counts, to be safe. */
  private isNeedle(a: MutableAttr): boolean {
    const start = a.nameStart - this.base;
    const length = a.nameEnd - a.nameStart;
    if (start < 0) return this.anyNeedles!.some((n) => n.length === length);
    return isNeedleAt(this.buf, start, length, this.anyNeedles!);
  }

  /** A new attribute of the tag being assembled, starting at buf[pos] (its first byte read). */
  private startAttr(pos: number): MutableAttr {
    const abs = this.base + pos;
    // Reused from tag to tag: what a tag reports is a copy (`completeTag`).
    let a = this.attrs[this.attrCount];
    const h = KnownNames.step(0, this.buf[pos]!);
    if (a === undefined) this.attrs.push((a = { nameStart: abs, nameEnd: abs, nameHash: h, valueStart: -1, valueEnd: -1, quote: 0 }));
    else {
      a.nameStart = abs;
      a.nameEnd = abs;
      a.nameHash = h;
      a.valueStart = -1;
      a.valueEnd = -1;
      a.quote = 0;
    }
    this.attrCount++;
    return a;
  }

  /**
   * The tokenizer's attribute states (before attribute name to self-closing start tag), from `pos`
   * in `state`: returns the index of the '>' that ends the tag, or -1 at the end of the chunk (the
   * state to go on in is then `attrState`). The attributes are kept only for a start tag being
   * assembled. With `seek`, nothing is kept and the reader stops, returning -2, at the first
   * attribute named one of `seek` (or one of `valueNeedles` with a value `valueNeeded` asks for),
   * or returns -1 at the end of the chunk without a state: the caller then reads the tag again
   * from the same place, keeping its attributes.
   */
  private readAttributes(pos: number, state: S, seek: readonly string[] | null): number {
    const buf = this.buf;
    const len = buf.length;
    const keep = seek === null && this.wanted && !this.tagEnd;
    let a = keep ? this.attr : null;
    let nameStart = pos;
    /** Seeking: the attribute being read is one of `valueNeedles`, and its value starts here. */
    let checkValue = false;
    let valueStart = pos;
    while (pos < len) {
      let c = buf[pos]!;
      // An attribute mostly goes name, '=', quoted value, whitespace: each state falls through to the
      // next one, so that it is read without a turn through the switch per state.
      switch (state) {
        case S.BeforeAttrName:
          if (isWs(c)) {
            pos++;
            break;
          }
          if (c === SLASH || c === GT) {
            state = S.AfterAttrName;
            break;
          }
          // '=' here starts a name too (a parse error browsers forgive).
          if (keep) a = this.startAttr(pos);
          checkValue = false;
          nameStart = pos++;
          state = S.AttrName;
          if (pos === len) break;
          c = buf[pos]!;
        // falls through
        case S.AttrName:
          if (a !== null) {
            // Hashed as it is read, for `completeTag` to find the name in ATTRIBUTE_NAMES.
            let h = a.nameHash;
            while ((CLASSES[c]! & ATTR_NAME_END) === 0) {
              h = KnownNames.step(h, c);
              if (++pos === len) break;
              c = buf[pos]!;
            }
            a.nameHash = h;
          } else {
            while ((CLASSES[c]! & ATTR_NAME_END) === 0) {
              if (++pos === len) break;
              c = buf[pos]!;
            }
          }
          if (pos === len) break;
          if (a !== null) {
            a.nameEnd = this.base + pos;
            if (this.needles !== null && !this.needleFound) this.needleFound = this.isNeedle(a);
          } else if (seek !== null) {
            if (isNeedleAt(buf, nameStart, pos - nameStart, seek)) return -2;
            checkValue = this.valueNeedles !== null && isNeedleAt(buf, nameStart, pos - nameStart, this.valueNeedles);
          }
          if (c !== EQ) {
            state = S.AfterAttrName;
            break;
          }
          pos++;
          state = S.BeforeAttrValue;
          if (pos === len) break;
          c = buf[pos]!;
        // falls through
        case S.BeforeAttrValue:
          if (isWs(c)) {
            pos++;
            break;
          }
          if (c === GT) return pos;
          if (c !== DQ && c !== SQ) {
            if (a !== null) {
              a.quote = 0;
              a.valueStart = this.base + pos;
            }
            valueStart = pos;
            state = S.AttrValueUnq;
            break;
          }
          if (a !== null) {
            a.quote = c;
            a.valueStart = this.base + pos + 1;
          }
          valueStart = pos + 1;
          pos++;
          state = c === DQ ? S.AttrValueDq : S.AttrValueSq;
        // falls through
        case S.AttrValueDq:
        case S.AttrValueSq: {
          const q = find(buf, state === S.AttrValueDq ? DQ : SQ, pos);
          if (q === -1) {
            pos = len;
            break;
          }
          if (a !== null) a.valueEnd = this.base + q;
          else if (checkValue && this.valueNeeded!(buf, valueStart, q)) return -2;
          pos = q + 1;
          state = S.AfterAttrValueQuoted;
          if (pos === len) break;
          c = buf[pos]!;
        }
        // falls through
        case S.AfterAttrValueQuoted:
          if (isWs(c)) {
            pos++;
            state = S.BeforeAttrName;
          } else if (c === SLASH) {
            pos++;
            state = S.SelfClosing;
          } else if (c === GT) return pos;
          else state = S.BeforeAttrName;
          break;
        case S.AfterAttrName:
          if (isWs(c)) pos++;
          else if (c === SLASH) {
            pos++;
            state = S.SelfClosing;
          } else if (c === EQ) {
            pos++;
            state = S.BeforeAttrValue;
          } else if (c === GT) return pos;
          else state = S.BeforeAttrName;
          break;
        case S.AttrValueUnq:
          while ((CLASSES[c]! & UNQUOTED_END) === 0) {
            if (++pos === len) break;
            c = buf[pos]!;
          }
          if (pos === len) break;
          if (a !== null) a.valueEnd = this.base + pos;
          else if (checkValue && this.valueNeeded!(buf, valueStart, pos)) return -2;
          if (c === GT) return pos;
          pos++;
          state = S.BeforeAttrName;
          break;
        case S.SelfClosing:
          if (c === GT) {
            this.selfClosing = true;
            return pos;
          }
          state = S.BeforeAttrName;
          break;
      }
    }
    this.attr = a;
    this.attrState = state;
    return -1;
  }

  /** A complete tag ends at buf[gt] ('>'). Returns the state to continue in. */
  private completeTag(gt: number): S {
    const name = this.tagName;
    const isEnd = this.tagEnd;
    let edit: TagEdit | undefined;
    let tag: ScannedTag | null = null;
    let tagBytes: Buffer | null = null;
    if (this.wanted && this.needles !== null && !this.needleFound) {
      // Wanted only with an attribute it does not have: it goes out as it came.
      this.wanted = false;
      this.releaseHold();
    }
    const tree = this.tree;
    const rawEnd = this.rawEnd;
    this.rawEnd = false;
    if (!this.wanted && (isEnd || (!tree.unsure && !tree.matters(name)))) {
      // Not reported, and the tree needs no more of it than this: what the general path below does for such a tag.
      if (isEnd && !rawEnd && (tree.open || name === "template")) tree.end(name);
      this.attr = null;
      return S.Data;
    }
    let raw = "";
    let attrs: ScannedAttr[] = [];
    const assembled = this.wanted && this.holding;
    if (assembled) {
      // A tag all in this chunk (most are) is read where it is: its bytes are sliced only if it changes.
      let bytes = this.buf;
      let at = this.holdStartInBuf;
      if (this.holdPieces.length > 0) {
        bytes = tagBytes = this.heldUpTo(gt + 1);
        at = 0;
      }
      raw = bytes.toString("latin1", at, at + this.base + gt + 1 - this.tagStartAbs);
      // An <image> is shown to the handler as the <img> it becomes.
      const shift = this.imageAsImg ? 2 : 0;
      if (shift) raw = `<img${raw.slice(6)}`;
      const start = this.tagStartAbs + shift;
      const offset = this.tagStartAbs - at;
      for (let i = 0; i < this.attrCount; i++) {
        const a = this.attrs[i]!;
        const nameStart = a.nameStart - start;
        const nameEnd = a.nameEnd - start;
        const known = ATTRIBUTE_NAMES.find(bytes, a.nameStart - offset, a.nameEnd - offset, a.nameHash);
        attrs.push({
          name: known >= 0 ? ATTRIBUTE_NAMES.name(known) : raw.slice(nameStart, nameEnd).toLowerCase(),
          nameStart,
          nameEnd,
          valueStart: a.valueStart < 0 ? -1 : a.valueStart - start,
          valueEnd: a.valueStart < 0 ? -1 : a.valueEnd - start,
          quote: a.quote,
        });
      }
    }
    // After an end tag that may have closed SVG or MathML from below, a tag that reads differently in
    // each first closes them for sure, so that the page and the scanner agree.
    const leave = !isEnd && tree.unsure && tree.readsDifferently(name) ? tree.leave() : "";
    // The namespace the element is made in: only the start tags of names that matter ask the tree.
    let html = true;
    if (!isEnd && tree.matters(name)) {
      html = tree.isHtml(name, attrs);
    }
    const foreign = !html || (!isEnd && (name === "svg" || name === "math"));
    if (assembled && this.reported) {
      tag = { name, end: isEnd, raw, attrs, selfClosing: this.selfClosing, foreign };
      edit = isEnd ? this.handler.endTag(tag) : this.handler.startTag(tag);
    }
    let made = Made.Markup;
    if (!isEnd && tree.matters(name)) {
      const encoding = name === "annotation-xml" ? attrs.find((a) => a.name === "encoding") : undefined;
      made = tree.start(name, html, this.selfClosing, encoding && encoding.valueStart >= 0 ? raw.slice(encoding.valueStart, encoding.valueEnd) : null);
    }
    if (isEnd && !rawEnd && (tree.open || name === "template")) tree.end(name);
    if (assembled && edit === undefined && leave === "" && this.holdPieces.length === 0) {
      // Unchanged and all in this chunk: it goes out with the bytes around it, in one slice.
      this.holding = false;
      this.heldBytes = 0;
    } else if (assembled) {
      tagBytes ??= this.buf.subarray(this.holdStartInBuf, gt + 1);
      this.flushTo(this.holdStartInBuf);
      this.holding = false;
      this.holdPieces = [];
      this.heldBytes = 0;
      this.emitStart = gt + 1;
      if (edit?.resume === "before") this.suppressed = false;
      if (edit?.release) this.releaseKept(edit.release);
      if (leave !== "") this.emit(Buffer.from(leave, "latin1"));
      if (edit?.before) this.emit(edit.before);
      if (edit?.hold?.at === "before") this.keepOutput(edit.hold.bytes);
      if (edit?.holdContent && !isEnd && made === Made.RawText) {
        this.scriptTag = tag;
        this.scriptTagBytes = Buffer.from(edit.replace ?? tagBytes);
        this.scriptContentAbs = this.base + gt + 1;
        this.beginHold(gt + 1);
      } else {
        if (!(edit?.resume === "after")) this.emit(edit?.replace ?? tagBytes);
        if (edit?.after) this.emit(edit.after);
      }
      if (edit?.resume === "after") this.suppressed = false;
      if (edit?.suppress) this.suppressed = true;
      if (edit?.hold?.at === "after") this.keepOutput(edit.hold.bytes);
    }
    this.wanted = false;
    this.attr = null;
    if (made === Made.RawText) {
      this.rawName = name;
      return name === SCRIPT ? S.ScriptData : S.Raw;
    }
    return made === Made.Plaintext ? S.Plaintext : S.Data;
  }

  /** The appropriate end tag of a raw-text element starts at `candidateAbs`. */
  private rawEndFound(pos: number): void {
    if (this.scriptTag) this.resolveScript(this.candidateAbs, false);
    // The end tag continues as an ordinary (unwanted) end tag.
    this.tagStartAbs = this.candidateAbs;
    this.tagEnd = true;
    this.tagName = this.rawName;
    this.wanted = false;
    this.reported = false;
    this.rawEnd = true;
    this.selfClosing = false;
    this.attrCount = 0;
    this.attr = null;
    void pos;
  }

  /** Emits a held script: its start tag (replaced if the handler says so), then its content up to `endAbs`. */
  private resolveScript(endAbs: number, atEof: boolean): void {
    const tag = this.scriptTag!;
    const tagBytes = this.scriptTagBytes!;
    this.scriptTag = null;
    this.scriptTagBytes = null;
    const all = atEof ? Buffer.concat(this.holdPieces) : this.heldUpTo(this.buf.length);
    const contentLength = endAbs - this.scriptContentAbs;
    const content = all.subarray(0, contentLength);
    const isScript = tag.name === SCRIPT;
    const replacement = isScript ? this.handler.scriptContent(tag, content) : this.handler.rawContent?.(tag, content);
    this.flushTo(atEof ? this.emitStart : this.holdStartInBuf);
    const newContent = replacement !== undefined && !Buffer.isBuffer(replacement) ? replacement.content : undefined;
    this.emit(isScript && Buffer.isBuffer(replacement) ? replacement : tagBytes);
    this.emit(newContent ?? (isScript || replacement === undefined ? content : (replacement as Buffer)));
    this.holding = false;
    this.holdPieces = [];
    this.heldBytes = 0;
    if (!atEof) {
      // The rest (the start of the end tag) flows from its place in the current buffer, or was held from an earlier one.
      const restInBuf = endAbs - this.base;
      if (restInBuf >= 0) {
        this.emitStart = restInBuf;
      } else {
        this.emit(all.subarray(contentLength, all.length - (this.buf.length - this.holdStartInBuf)));
        this.emitStart = this.holdStartInBuf;
      }
    }
  }

  private textEvent(at: number): void {
    const edit = this.handler.text();
    if (!edit) return;
    this.flushTo(at);
    if (edit.release) this.releaseKept(edit.release);
    if (edit.before) this.emit(edit.before);
  }

  /** Index of the first non-whitespace byte in [from, to), or -1. A UTF-8 BOM at the start of the stream is not text. */
  private firstText(from: number, to: number): number {
    const buf = this.buf;
    for (let i = from; i < to; i++) {
      const c = buf[i]!;
      if (isWs(c)) continue;
      if (this.base + i < this.bomLength) continue;
      return i;
    }
    return -1;
  }

  // ---------------------------------------------------------------------------
  // The fast lane

  /**
   * Whether the text and tags from here can be read over by `skim`: nothing is watched in text,
   * `wants` is settled, and the tree is in plain HTML, where a tag whose name does not matter to it
   * leaves it as it was.
   */
  private skimmable(): boolean {
    const tree = this.tree;
    return this.handler.settled === true && !this.holding && !tree.open && !tree.unsure && !tree.frameset && !this.handler.watchText;
  }

  private skimKind(answers: SettledAnswers, index: number, known: number, end: boolean): Skim {
    const name = ELEMENT_NAMES.name(known);
    let wants = answers.wants[index];
    if (wants === undefined) wants = answers.wants[index] = this.handler.wants(name, end);
    let kind = Skim.General;
    // What `completeTag` does for a tag not reported: nothing, outside foreign content, but for these names (`<image>` among them).
    const matters = end ? name === "template" : this.tree.matters(name);
    if (!matters && wants === false) kind = Skim.Pass;
    else if (!matters && !end && typeof wants === "object") {
      kind = Skim.Seek;
      answers.needles[index] = skimNeedles(wants);
    }
    answers.kinds[index] = kind;
    return kind;
  }

  /**
   * From `pos` in text: reads over text and the tags that `completeTag` would let through
   * unchanged without touching the tree (see `skimmable`), with no state kept. Returns where the
   * state machine goes on: the '<' of a tag it has to read (wanted, unknown, or cut by the end of
   * the chunk, read again from its start), or the end of the chunk in text.
   */
  private skim(pos: number): number {
    const buf = this.buf;
    const len = buf.length;
    const count = ELEMENT_NAMES.count;
    const answers = (this.answers ??= new SettledAnswers());
    for (;;) {
      const lt = find(buf, LT, pos);
      if (lt === -1) return len;
      let p = lt + 1;
      if (p >= len) return lt;
      let c = buf[p]!;
      if (c === BANG && p + 2 < len && buf[p + 1] === DASH && buf[p + 2] === DASH) {
        const gt = commentEnd(buf, p + 3);
        if (gt < 0) return lt;
        pos = gt + 1;
        continue;
      }
      let end = false;
      if (c === SLASH) {
        end = true;
        if (++p === len) return lt;
        c = buf[p]!;
      }
      if (!isAlpha(c)) return lt;
      const start = p;
      // The last four bytes, folded as the tokenizer folds them: the whole of a short name.
      let key = 0;
      while ((CLASSES[c]! & NAME_END) === 0) {
        key = (key << 8) | LOWER[c]!;
        if (++p === len) return lt;
        c = buf[p]!;
      }
      const known = p - start <= 4 ? SHORT_ELEMENT_NAMES.find(key) : ELEMENT_NAMES.find(buf, start, p, KnownNames.hash(buf, start, p));
      if (known < 0) return lt;
      const index = end ? known + count : known;
      let kind: Skim = answers.kinds[index]!;
      if (kind === Skim.Unknown) kind = this.skimKind(answers, index, known, end);
      if (kind === Skim.General) return lt;
      if (c === GT) {
        pos = p + 1;
        continue;
      }
      const gt = skimAttributes(buf, c === SLASH ? p : p + 1, kind === Skim.Seek ? answers.needles[index]! : NO_NEEDLES);
      if (gt < 0) return lt;
      pos = gt + 1;
    }
  }

  // ---------------------------------------------------------------------------
  // The state machine

  private run(): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = 0;
    let state = this.state;
    while (pos < len) {
      switch (state) {
        case S.Data: {
          if (this.skimmable()) {
            pos = this.skim(pos);
            if (pos === len) break;
          }
          const lt = find(buf, LT, pos);
          const stop = lt === -1 ? len : lt;
          if (this.handler.watchText && !this.suppressed && stop > pos) {
            const t = this.firstText(pos, stop);
            if (t !== -1) this.textEvent(t);
          }
          if (lt === -1) {
            pos = len;
            break;
          }
          this.tagStartAbs = this.base + lt;
          this.beginHold(lt);
          pos = lt + 1;
          // Most '<' start a tag (or '</' an end tag): its name is read next, in the case below,
          // without a turn through the tag open states or the switch.
          const c = pos < len ? buf[pos]! : 0;
          if (isAlpha(c)) this.startName(false, pos);
          else if (c === SLASH && pos + 1 < len && isAlpha(buf[pos + 1]!)) this.startName(true, ++pos);
          else {
            state = S.TagOpen;
            break;
          }
          state = S.TagName;
        }
        // falls through
        case S.TagName: {
          let c = 0;
          let h = this.nameHash;
          let classes = 0;
          while (pos < len) {
            c = buf[pos]!;
            const k = CLASSES[c]!;
            if ((k & NAME_END) !== 0) break;
            classes |= k;
            h = KnownNames.step(h, c);
            pos++;
          }
          this.nameHash = h;
          if ((classes & UPPER) !== 0) this.nameUpper = true;
          if (pos === len) break;
          this.finishName(pos);
          if (c === GT) {
            state = this.completeTag(pos);
            pos++;
            break;
          }
          pos++;
          state = c === SLASH ? S.SelfClosing : S.BeforeAttrName;
          if (this.wanted && !this.tagEnd && this.needles !== null) {
            // Assembled only with a needle: read without keeping the attributes; if one turns up (or the
            // tag goes on past the chunk), read again below, keeping them.
            const gt = this.readAttributes(pos, state, this.needles);
            if (gt >= 0) {
              state = this.completeTag(gt);
              pos = gt + 1;
              break;
            }
          }
          // The attributes are read next, in the case below, rather than after a turn through the switch.
        }
        // falls through
        case S.BeforeAttrName:
        case S.AttrName:
        case S.AfterAttrName:
        case S.BeforeAttrValue:
        case S.AttrValueDq:
        case S.AttrValueSq:
        case S.AttrValueUnq:
        case S.AfterAttrValueQuoted:
        case S.SelfClosing: {
          const gt = this.readAttributes(pos, state, null);
          if (gt < 0) {
            pos = len;
            state = this.attrState;
          } else {
            state = this.completeTag(gt);
            pos = gt + 1;
          }
          break;
        }
        case S.TagOpen: {
          const c = buf[pos]!;
          if (isAlpha(c)) {
            this.startName(false, pos);
            state = S.TagName;
          } else if (c === SLASH) {
            pos++;
            state = S.EndTagOpen;
          } else if (c === BANG) {
            // Held while the tree is unsure: a CDATA section may need the foreign content closed before it.
            if (!this.tree.unsure) this.releaseHold();
            pos++;
            state = S.MarkupDecl;
          } else if (c === QMARK) {
            this.releaseHold();
            state = S.BogusComment;
          } else {
            // A '<' that starts no tag is text.
            if (this.handler.watchText && !this.suppressed) {
              const edit = this.handler.text();
              if (edit) {
                this.flushTo(this.holdStartInBuf);
                if (edit.release) this.releaseKept(edit.release);
                if (edit.before) this.emit(edit.before);
              }
            }
            this.releaseHold();
            state = S.Data;
          }
          break;
        }
        case S.EndTagOpen: {
          const c = buf[pos]!;
          if (isAlpha(c)) {
            this.startName(true, pos);
            state = S.TagName;
          } else if (c === GT) {
            this.releaseHold();
            pos++;
            state = S.Data;
          } else {
            this.releaseHold();
            state = S.BogusComment;
          }
          break;
        }
        case S.MarkupDecl: {
          const c = buf[pos]!;
          if (this.holding) {
            if (c === LBRACKET && this.tree.cdata) {
              this.flushTo(this.holdStartInBuf);
              this.emit(Buffer.from(this.tree.leave(), "latin1"));
            }
            this.releaseHold();
          }
          if (c === DASH) {
            pos++;
            state = S.MarkupDeclDash;
          } else if (c === LBRACKET && this.tree.cdata) {
            pos++;
            this.cdataIdx = 1;
            state = S.MarkupDeclCdata;
          } else {
            // <!DOCTYPE …> and anything else end at the first '>' for our purpose.
            state = S.BogusComment;
          }
          break;
        }
        case S.MarkupDeclDash: {
          if (buf[pos] === DASH) {
            pos++;
            state = S.CommentStart;
          } else {
            state = S.BogusComment;
          }
          break;
        }
        case S.MarkupDeclCdata: {
          if (buf[pos] === "[CDATA["[this.cdataIdx]!.charCodeAt(0)) {
            pos++;
            if (++this.cdataIdx === 7) state = S.Cdata;
          } else {
            state = S.BogusComment;
          }
          break;
        }
        case S.BogusComment: {
          const gt = buf.indexOf(GT, pos);
          if (gt === -1) {
            pos = len;
          } else {
            pos = gt + 1;
            state = S.Data;
          }
          break;
        }
        case S.CommentStart: {
          const c = buf[pos]!;
          if (c === DASH) {
            pos++;
            state = S.CommentStartDash;
          } else if (c === GT) {
            pos++;
            state = S.Data;
          } else {
            state = S.Comment;
          }
          break;
        }
        case S.CommentStartDash: {
          const c = buf[pos]!;
          if (c === DASH) {
            pos++;
            state = S.CommentEnd;
          } else if (c === GT) {
            pos++;
            state = S.Data;
          } else {
            state = S.Comment;
          }
          break;
        }
        case S.Comment: {
          const d = buf.indexOf(DASH, pos);
          if (d === -1) {
            pos = len;
          } else {
            pos = d + 1;
            state = S.CommentEndDash;
          }
          break;
        }
        case S.CommentEndDash: {
          if (buf[pos] === DASH) {
            pos++;
            state = S.CommentEnd;
          } else {
            state = S.Comment;
          }
          break;
        }
        case S.CommentEnd: {
          const c = buf[pos]!;
          if (c === GT) {
            pos++;
            state = S.Data;
          } else if (c === BANG) {
            pos++;
            state = S.CommentEndBang;
          } else if (c === DASH) {
            pos++;
          } else {
            state = S.Comment;
          }
          break;
        }
        case S.CommentEndBang: {
          const c = buf[pos]!;
          if (c === DASH) {
            pos++;
            state = S.CommentEndDash;
          } else if (c === GT) {
            pos++;
            state = S.Data;
          } else {
            state = S.Comment;
          }
          break;
        }
        case S.Cdata: {
          const b = buf.indexOf(RBRACKET, pos);
          if (b === -1) {
            pos = len;
          } else {
            pos = b + 1;
            state = S.CdataBracket;
          }
          break;
        }
        case S.CdataBracket: {
          if (buf[pos] === RBRACKET) {
            pos++;
            state = S.CdataEnd;
          } else {
            state = S.Cdata;
          }
          break;
        }
        case S.CdataEnd: {
          const c = buf[pos]!;
          if (c === GT) {
            pos++;
            state = S.Data;
          } else if (c === RBRACKET) {
            pos++;
          } else {
            state = S.Cdata;
          }
          break;
        }
        case S.Raw:
        case S.ScriptData: {
          const lt = buf.indexOf(LT, pos);
          if (lt === -1) {
            pos = len;
            break;
          }
          this.candidateAbs = this.base + lt;
          pos = lt + 1;
          state = state === S.Raw ? S.RawLt : S.ScriptLt;
          break;
        }
        case S.RawLt: {
          if (buf[pos] === SLASH) {
            pos++;
            this.matchIdx = 0;
            state = S.RawEndName;
          } else {
            state = S.Raw;
          }
          break;
        }
        case S.ScriptLt: {
          const c = buf[pos]!;
          if (c === SLASH) {
            pos++;
            this.matchIdx = 0;
            state = S.ScriptEndName;
          } else if (c === BANG) {
            pos++;
            state = S.ScriptEscapeStart;
          } else {
            state = S.ScriptData;
          }
          break;
        }
        case S.RawEndName:
        case S.ScriptEndName:
        case S.ScriptEscapedEndName: {
          const c = buf[pos]!;
          const name = this.rawName;
          const back = state === S.RawEndName ? S.Raw : state === S.ScriptEndName ? S.ScriptData : S.ScriptEscaped;
          if (this.matchIdx < name.length) {
            if ((c | 0x20) === name.charCodeAt(this.matchIdx) && isAlpha(c)) {
              this.matchIdx++;
              pos++;
            } else {
              state = back;
            }
          } else if (isWs(c) || c === SLASH || c === GT) {
            this.rawEndFound(pos);
            if (c === GT) {
              state = this.completeTag(pos);
              pos++;
            } else if (c === SLASH) {
              pos++;
              state = S.SelfClosing;
            } else {
              pos++;
              state = S.BeforeAttrName;
            }
          } else {
            state = back;
          }
          break;
        }
        case S.ScriptEscapeStart: {
          if (buf[pos] === DASH) {
            pos++;
            state = S.ScriptEscapeStartDash;
          } else {
            state = S.ScriptData;
          }
          break;
        }
        case S.ScriptEscapeStartDash: {
          if (buf[pos] === DASH) {
            pos++;
            state = S.ScriptEscapedDashDash;
          } else {
            state = S.ScriptData;
          }
          break;
        }
        case S.ScriptEscaped:
        case S.ScriptEscapedDash:
        case S.ScriptEscapedDashDash: {
          const c = buf[pos]!;
          if (c === DASH) {
            pos++;
            state = state === S.ScriptEscaped ? S.ScriptEscapedDash : S.ScriptEscapedDashDash;
          } else if (c === LT) {
            this.candidateAbs = this.base + pos;
            pos++;
            state = S.ScriptEscapedLt;
          } else if (c === GT && state === S.ScriptEscapedDashDash) {
            pos++;
            state = S.ScriptData;
          } else {
            pos++;
            state = S.ScriptEscaped;
          }
          break;
        }
        case S.ScriptEscapedLt: {
          const c = buf[pos]!;
          if (c === SLASH) {
            pos++;
            this.matchIdx = 0;
            state = S.ScriptEscapedEndName;
          } else if (isAlpha(c)) {
            this.doubleIdx = 0;
            this.doubleOk = true;
            state = S.ScriptDoubleEscapeStart;
          } else {
            state = S.ScriptEscaped;
          }
          break;
        }
        case S.ScriptDoubleEscapeStart:
        case S.ScriptDoubleEscapeEnd: {
          const c = buf[pos]!;
          const start = state === S.ScriptDoubleEscapeStart;
          if (isWs(c) || c === SLASH || c === GT) {
            const isScript = this.doubleOk && this.doubleIdx === SCRIPT.length;
            pos++;
            if (start) state = isScript ? S.ScriptDoubleEscaped : S.ScriptEscaped;
            else state = isScript ? S.ScriptEscaped : S.ScriptDoubleEscaped;
          } else if (isAlpha(c)) {
            if (this.doubleIdx >= SCRIPT.length || (c | 0x20) !== SCRIPT.charCodeAt(this.doubleIdx)) this.doubleOk = false;
            this.doubleIdx++;
            pos++;
          } else {
            state = start ? S.ScriptEscaped : S.ScriptDoubleEscaped;
          }
          break;
        }
        case S.ScriptDoubleEscaped:
        case S.ScriptDoubleEscapedDash:
        case S.ScriptDoubleEscapedDashDash: {
          const c = buf[pos]!;
          if (c === DASH) {
            pos++;
            state = state === S.ScriptDoubleEscaped ? S.ScriptDoubleEscapedDash : S.ScriptDoubleEscapedDashDash;
          } else if (c === LT) {
            pos++;
            state = S.ScriptDoubleEscapedLt;
          } else if (c === GT && state === S.ScriptDoubleEscapedDashDash) {
            pos++;
            state = S.ScriptData;
          } else {
            pos++;
            state = S.ScriptDoubleEscaped;
          }
          break;
        }
        case S.ScriptDoubleEscapedLt: {
          if (buf[pos] === SLASH) {
            pos++;
            this.doubleIdx = 0;
            this.doubleOk = true;
            state = S.ScriptDoubleEscapeEnd;
          } else {
            state = S.ScriptDoubleEscaped;
          }
          break;
        }
        case S.Plaintext: {
          pos = len;
          break;
        }
      }
    }
    this.state = state;
  }
}
