// pino-roll ships no types; this covers the part used here.
declare module "pino-roll" {
  import type { EventEmitter } from "node:events";

  interface PinoRollOptions {
    file: string;
    size?: string | number;
    frequency?: "daily" | "hourly" | number;
    extension?: string;
    limit?: { count: number; removeOtherLogFiles?: boolean };
    mkdir?: boolean;
    sync?: boolean;
    maxLength?: number;
    minLength?: number;
    periodicFlush?: number;
  }

  interface RollingStream extends EventEmitter {
    write(data: string): boolean;
    flush(cb?: (error?: Error) => void): void;
    flushSync(): void;
    end(): void;
    readonly file: string;
  }

  export default function pinoRoll(options: PinoRollOptions): Promise<RollingStream>;
}
