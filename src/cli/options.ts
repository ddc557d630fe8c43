import { parseArgs, type ParseArgsConfig } from "node:util";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
interface CommandConfig<T extends OptionsConfig> {
  args: string[];
  options: T;
  allowPositionals: true;
  strict: true;
}
/** The typed values and positionals node's parseArgs gives for these options. */
export type ParsedOptions<T extends OptionsConfig> = ReturnType<typeof parseArgs<CommandConfig<T>>>;

/** An option that takes a value. */
export const TEXT = { type: "string" } as const;
/** An option that takes a value and may be given more than once. */
export const TEXTS = { type: "string", multiple: true } as const;
/** An option that takes no value. */
export const FLAG = { type: "boolean" } as const;

/**
 * Reads a command's options and its other arguments. Strict: an unknown option or one without its
 * value throws node's ERR_PARSE_ARGS_* error, which `main` reports as a usage error (exit 2).
 */
export function parseOptions<T extends OptionsConfig>(args: readonly string[], options: T): ParsedOptions<T> {
  return parseArgs<CommandConfig<T>>({ args: [...args], options, allowPositionals: true, strict: true });
}
