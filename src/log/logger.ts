/**
 * The logging port every component takes. Probot's pino logger satisfies it,
 * and so does `createConsoleLogger` for the CLI and tests.
 */
import type { Logger } from "../domain/logger.js";

export { silentLogger, type Logger } from "../domain/logger.js";

const order = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;
export type LogLevel = keyof typeof order;

/** A logger writing one line per entry to stderr, below `level` silent. */
export function createConsoleLogger(level: LogLevel = "info"): Logger {
  const write = (at: Exclude<LogLevel, "silent">) => (obj: object | string, msg?: string) => {
    if (order[at] < order[level]) return;
    const text = typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj)}`.trim();
    process.stderr.write(`${at}: ${text}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

