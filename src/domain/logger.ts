/**
 * The logging port every component takes, app and runner alike: pino's
 * logger satisfies it (Probot's, and the CLI's from `src/log/create-logger.ts`).
 * Errors go in as `{ err }` objects so pino's serializer keeps their stacks.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

const drop = (): void => undefined;

/** A logger that drops everything: the default where none is given. */
export const silentLogger: Logger = { debug: drop, info: drop, warn: drop, error: drop };
