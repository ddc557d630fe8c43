import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { mentionsIn, yamlFilesOf, type RuleMentions } from "../rules/impact/probe.js";
import { RuleLoadError } from "../rules/errors.js";
import { RuleStore } from "../rules/store.js";
import type { RuleSet } from "../rules/types.js";

/** A side of a comparison that cannot be read: exit status 2, like a usage error. */
export class SideError extends Error {
  override name = "SideError";
}

/** One side of a comparison, loaded. */
export interface RuleSide {
  /** As given: `rules/`, `old.yaml`, `git:main:rules/`. */
  readonly spec: string;
  /** For git sides, the commit the revision named. */
  readonly commit?: string;
  readonly ruleset: RuleSet;
  readonly mentions: RuleMentions;
}

const GIT_SIDE = /^git:([^:]*):(.*)$/;
/** Rule folders hold a handful of small files; anything much bigger is not a rules folder. */
const MAX_GIT_FILES = 500;

function git(args: readonly string[], cwd: string): Buffer {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") throw new SideError("git is not installed, so git: sides cannot be read");
    const why = e.stderr?.toString("utf8").trim().split("\n")[0];
    throw new SideError(why || `git ${args[0]} failed`);
  }
}

/**
 * Loads the rules at `paths` as the middleware would, naming files as `display` says. A side with
 * no rules is refused: compared with it, every reader would seem changed.
 */
function loadRuleSet(spec: string, paths: readonly string[], now: Date, display: (file: string) => string): RuleSet {
  let ruleset: RuleSet;
  try {
    ruleset = new RuleStore(paths, () => now).current;
  } catch (error) {
    if (error instanceof RuleLoadError) throw new RuleLoadError(error.problems.map((p) => ({ ...p, file: display(p.file) })));
    throw error;
  }
  if (ruleset.rules.length === 0) throw new SideError(`${spec} holds no rules; name a rules folder or rule file (for git sides, PATH is from the top of the repository)`);
  return ruleset;
}

/**
 * Writes the YAML files of `rev:path` into a temporary folder (the working tree is not touched)
 * and returns where, with the commit; the caller removes the folder.
 */
function checkoutYaml(rev: string, path: string, cwd: string, into: string): { target: string; commit: string; kind: "tree" | "blob" } {
  let commit: string;
  try {
    commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], cwd).toString("utf8").trim();
  } catch (error) {
    const why = (error as Error).message;
    throw new SideError(`git:${rev}:${path}: ${/not a git repository/i.test(why) ? `${cwd} is not inside a git repository` : `${rev} is not a commit in this repository`}`);
  }
  let object: string;
  try {
    object = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${commit}:${path}`], cwd).toString("utf8").trim();
  } catch {
    throw new SideError(`git:${rev}:${path}: there is no ${path} at ${rev} (${commit.slice(0, 12)}); paths are from the top of the repository, or ./path from the current folder`);
  }
  const kind = git(["cat-file", "-t", object], cwd).toString("utf8").trim();
  if (kind === "blob") {
    const target = join(into, posix.basename(path) || "rules.yaml");
    writeFileSync(target, git(["cat-file", "blob", object], cwd));
    return { target, commit, kind };
  }
  if (kind !== "tree") throw new SideError(`git:${rev}:${path} is a ${kind}, not a folder or a file`);
  // --full-tree: from a subfolder, ls-tree would otherwise list only the part of the tree under that subfolder's name.
  const entries = git(["ls-tree", "--full-tree", "-r", "-z", object], cwd)
    .toString("utf8")
    .split("\0")
    .filter(Boolean)
    .map((line) => /^\d+ (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === "blob" && /\.ya?ml$/i.test(m[3]!));
  if (entries.length > MAX_GIT_FILES) throw new SideError(`git:${rev}:${path} holds ${entries.length} YAML files; point at the rules folder`);
  for (const [, , blob, name] of entries) {
    const file = join(into, ...name!.split("/"));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, git(["cat-file", "blob", blob!], cwd));
  }
  return { target: into, commit, kind };
}

/**
 * Loads one side: a rules folder, a rule file, or `git:REV:PATH` (PATH as in `git show REV:PATH`:
 * from the top of the repository, or `./PATH` from `cwd`). A side that does not load throws:
 * RuleLoadError (naming files as the side names them) or SideError.
 */
export function loadSide(spec: string, now: Date, cwd: string = process.cwd()): RuleSide {
  const m = GIT_SIDE.exec(spec);
  if (!m) {
    const paths = [resolve(cwd, spec)];
    if (!existsSync(paths[0]!)) throw new SideError(`${spec}: no such file or folder (for a git revision write git:REV:PATH, e.g. git:main:rules/)`);
    return { spec, ruleset: loadRuleSet(spec, paths, now, (f) => f), mentions: mentionsIn(yamlFilesOf(paths)) };
  }
  const [, rev, path] = m as unknown as [string, string, string];
  if (!rev || rev.startsWith("-")) throw new SideError(`${spec}: write a revision between the colons, e.g. git:main:rules/ or git:HEAD~1:rules/`);
  if (!path) throw new SideError(`${spec}: write a path after the revision, e.g. git:${rev}:rules/`);
  const dir = mkdtempSync(join(tmpdir(), "geo-compliance-diff-"));
  try {
    const { target, commit, kind } = checkoutYaml(rev, path, cwd, dir);
    const display = (file: string): string => {
      const at = file.indexOf(dir);
      if (at === -1) return file;
      const rest = file.slice(at + dir.length).replace(/^[\\/]+/, "").split(/[\\/]/).join("/");
      return kind === "blob" ? spec : `git:${rev}:${posix.join(path, rest)}`;
    };
    return { spec, commit, ruleset: loadRuleSet(spec, [target], now, display), mentions: mentionsIn(yamlFilesOf([target])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
