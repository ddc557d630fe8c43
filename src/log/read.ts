import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/** A line longer than this is not a decision line; it is skipped rather than held in memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface LineRef {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
}

export interface FileRead {
  readonly file: string;
  readonly gzip: boolean;
  readonly lines: number;
}

/** gzip files start with 1f 8b whatever they are called, so a rotated-then-compressed file needs no naming convention. */
async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Reads log files one line at a time, plain or gzipped, in the order given, holding no more than
 * one chunk and one line: a 1 GB log takes the memory of a small one. `onLine` returns false to
 * stop early; `onOversized` hears of lines too long to be log lines.
 */
export async function scanLogFiles(
  files: readonly string[],
  onLine: (text: string, where: LineRef) => boolean | void,
  onOversized: (where: LineRef) => void = () => {},
): Promise<FileRead[]> {
  const read: FileRead[] = [];
  for (const file of files) {
    const gzip = await isGzip(file);
    const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
    // pipeline, not pipe: an error reading the file must end the gunzip stream too, not leave it waiting.
    const input: Readable = gzip ? pipeline(raw, createGunzip(), () => {}) : raw;
    let lineNo = 0;
    let carry: Buffer[] = [];
    let carryBytes = 0;
    let oversized = false;
    let stop = false;
    const emit = (buf: Buffer): void => {
      lineNo++;
      if (oversized) {
        oversized = false;
        onOversized({ file, line: lineNo });
        return;
      }
      const text = buf.toString("utf8");
      if (text.trim() !== "" && onLine(text, { file, line: lineNo }) === false) stop = true;
    };
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        let start = 0;
        let nl: number;
        while ((nl = chunk.indexOf(0x0a, start)) !== -1) {
          const piece = chunk.subarray(start, nl);
          emit(carry.length > 0 ? Buffer.concat([...carry, piece]) : piece);
          carry = [];
          carryBytes = 0;
          start = nl + 1;
          if (stop) break;
        }
        if (stop) break;
        if (start < chunk.length && !oversized) {
          carryBytes += chunk.length - start;
          if (carryBytes > MAX_LINE_BYTES) {
            oversized = true;
            carry = [];
            carryBytes = 0;
          } else {
            carry.push(Buffer.from(chunk.subarray(start)));
          }
        }
      }
      if (!stop && (carry.length > 0 || oversized)) emit(Buffer.concat(carry));
    } catch (error) {
      throw new Error(`${file}: ${gzip ? "not a readable gzip file" : "cannot be read"} (${(error as Error).message})`);
    } finally {
      input.destroy();
      raw.destroy();
    }
    read.push({ file, gzip, lines: lineNo });
    if (stop) break;
  }
  return read;
}
