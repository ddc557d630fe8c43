import type { ChildProcess } from "node:child_process";

/**
 * Asks a forked server process for a value: sends `message` (none when it is undefined or "") and
 * resolves with the `key` of the first message that has it. Rejects if the process exits first.
 */
export function ask<T>(child: ChildProcess, message: unknown, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (m: unknown): void => {
      if (typeof m === "object" && m !== null && key in m) {
        child.off("message", listener);
        child.off("exit", gone);
        resolve((m as Record<string, T>)[key]!);
      }
    };
    const gone = (code: number | null): void => reject(new Error(`the server exited (code ${code}) before answering ${typeof message === "string" && message ? message : key}`));
    child.on("message", listener);
    child.once("exit", gone);
    if (message !== undefined && message !== "") child.send(message as object);
  });
}
