import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/package-root.js";

const ROOT = packageRoot();
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const COMMAND = /^npx geo-compliance\b/;

interface Block {
  readonly lang: string;
  readonly lines: readonly string[];
}

/** The fenced blocks inside the sections marked `<!-- tools-examples … -->` … `<!-- /tools-examples -->`. */
function markedBlocks(file: string): Block[][] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const sections = [...text.matchAll(/<!-- tools-examples[^>]*-->([\s\S]*?)<!-- \/tools-examples -->/g)].map((m) => m[1]!);
  return sections.map((section) => [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, lines: m[2]!.split("\n").filter((l) => l.trim() !== "") })));
}

/** `# exit 1` or `# exit 0 or 1` at the end of a line; 0 when there is none. */
function expectedExit(line: string): number[] {
  const m = /#.*\bexit ((?:\d+)(?: or \d+)*)/.exec(line);
  return m ? m[1]!.split(" or ").map(Number) : [0];
}

function runExample(line: string): { code: number | null; out: string; err: string } {
  const command = line.replace(COMMAND, `"${process.execPath}" "${CLI}"`);
  const r = spawnSync("sh", ["-c", command], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hasGit = spawnSync("git", ["rev-parse", "--git-dir"], { cwd: ROOT }).status === 0;

for (const file of ["README.md", "rules/README.md"]) {
  describe(`${file}: the tool examples run as shown`, () => {
    const sections = markedBlocks(file);

    it("has a marked section showing explain, diff and the preview", () => {
      expect(sections.length, "marked sections").to.be.greaterThan(0);
      const commands = sections.flat().filter((b) => b.lang === "sh").flatMap((b) => b.lines).filter((l) => COMMAND.test(l));
      expect(commands.some((l) => /^npx geo-compliance explain /.test(l)), "an explain example").to.equal(true);
      expect(commands.some((l) => /^npx geo-compliance diff /.test(l)), "a diff example").to.equal(true);
      const text = readFileSync(join(ROOT, file), "utf8");
      expect(text).to.match(/<!-- tools-examples[\s\S]*preview[\s\S]*<!-- \/tools-examples -->/);
    });

    for (const blocks of sections) {
      blocks.forEach((block, i) => {
        if (block.lang !== "sh" || !COMMAND.test(block.lines[0] ?? "")) return;
        const shown = blocks[i + 1]?.lang === "" ? blocks[i + 1]! : null;
        for (const line of block.lines.filter((l) => COMMAND.test(l))) {
          it(`${line.replace(/\s+#.*$/, "")}  → exit ${expectedExit(line).join(" or ")}`, function () {
            if (/\bgit:/.test(line) && !hasGit) this.skip(); // git: sides need the package's own git checkout
            const { code, out, err } = runExample(line);
            expect(code, `${line}\n${err}`).to.be.oneOf(expectedExit(line));
            expect(out.trim(), "prints something").to.not.equal("");
            // The output shown after the last command of a block is what it prints.
            if (shown && line === block.lines.filter((l) => COMMAND.test(l)).at(-1)) {
              const printed = out.split("\n").map((l) => l.trimEnd());
              for (const expected of shown.lines) expect(printed, "shown output").to.include(expected.trimEnd());
            }
          });
        }
      });
    }
  });
}
