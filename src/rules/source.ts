import type * as Yaml from "yaml";
import type { Document, LineCounter, Node } from "yaml";
import { requireCjs } from "../require-cjs.js";
import type { SourcePosition } from "./types.js";

const { isMap, isPair, isScalar } = requireCjs("yaml") as typeof Yaml;

export type YamlPath = ReadonlyArray<string | number>;

/** A parsed rule file, able to say where any value or key in it was written. */
export class YamlFile {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  position(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  node(path: YamlPath): Node | undefined {
    if (path.length === 0) return (this.doc.contents ?? undefined) as Node | undefined;
    return this.doc.getIn(path, true) as Node | undefined;
  }

  /** Where the value at `path` starts; with `key`, where its key starts. Falls back to the nearest parent that exists. */
  at(path: YamlPath, options: { key?: boolean } = {}): SourcePosition {
    if (options.key && path.length > 0) {
      const parent = this.node(path.slice(0, -1));
      const name = path.at(-1);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === name);
        if (pair && isScalar(pair.key) && pair.key.range) return this.position(pair.key.range[0]);
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return this.position(node.range[0]);
    }
    return { file: this.file, line: 1, col: 1 };
  }

  /**
   * Where a piece of a string value was written: the `occurrence`-th time `snippet` appears in the
   * value's source. Works for every scalar style as long as the piece has no escapes in it.
   */
  within(path: YamlPath, snippet: string, occurrence: number): SourcePosition {
    const node = this.node(path);
    const firstLine = snippet.split("\n")[0]!.slice(0, 40);
    if (node?.range && firstLine) {
      const source = this.text.slice(node.range[0], node.range[1]);
      let from = 0;
      for (let i = 0; ; i++) {
        const found = source.indexOf(firstLine, from);
        if (found === -1) break;
        if (i === occurrence) return this.position(node.range[0] + found);
        from = found + 1;
      }
    }
    return this.at(path);
  }
}
