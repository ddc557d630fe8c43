/** What the end of a page may gain when the notice goes after a construct the page left open: its closing. */
const CLOSING = /^(-->|]]>|">|'>|>)?/;
/** End tags that close SVG/MathML or templates left open, so that what comes next is HTML: a foreign element's name may hold any character but space, "/" and ">" (`<p<p>`). */
const END_TAG = /^<\/[^\s/>]+>/;

/**
 * Whether `out` is `input` with, at most, end tags put in (where SVG or MathML may have been closed
 * from below, before a tag that reads differently in each) and a closing at the end.
 */
export function isInputWithClosings(out: string, input: string): boolean {
  const failed = new Set<number>();
  const walk = (i: number, j: number): boolean => {
    const key = i * (input.length + 1) + j;
    if (failed.has(key)) return false;
    if (j === input.length) {
      let rest = out.slice(i).replace(CLOSING, "");
      while (END_TAG.test(rest)) rest = rest.replace(END_TAG, "");
      if (rest === "") return true;
    } else if (out[i] === input[j] && walk(i + 1, j + 1)) {
      return true;
    }
    const tag = END_TAG.exec(out.slice(i, i + 40));
    if (tag && walk(i + tag[0].length, j)) return true;
    failed.add(key);
    return false;
  };
  return walk(0, 0);
}
