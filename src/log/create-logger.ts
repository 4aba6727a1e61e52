import { pino, type Logger as PinoLogger } from "pino";
import { PinoPretty } from "pino-pretty";
import { getTransformStream } from "@probot/pino";
import type { Settings } from "../settings/load-settings.js";

export type LogLevel = Settings["logLevel"];

/**
 * The CLI's logger: pino, pretty-printed (pino-pretty) to stderr — stdout
 * carries the run's table — and written synchronously, so a line logged just
 * before exit is not lost. Errors go in as `{ err }` and keep their stacks.
 */
export function createCliLogger(options: { level: LogLevel; colorize?: boolean; destination?: NodeJS.WritableStream }): PinoLogger {
  const pretty = PinoPretty({
    destination: options.destination ?? 2,
    sync: true,
    colorize: options.colorize ?? process.stderr.isTTY === true,
    ignore: "pid,hostname,time,name",
  });
  return pino({ level: options.level, name: "ponyci" }, pretty);
}

/**
 * The server's logger, in Probot's own format (`@probot/pino`: pretty, or
 * one JSON object per line with LOG_FORMAT=json), on stdout. `serve` hands
 * this one logger to Probot and to every Pony CI part: one log format.
 */
export async function createServerLogger(options: { level: LogLevel; format: "pretty" | "json"; destination?: NodeJS.WritableStream }): Promise<PinoLogger> {
  const transform = await getTransformStream({ logFormat: options.format });
  // SonicBoom is a writable stream, though not typed as Node's (Probot pipes it the same way in get-log.js).
  transform.pipe(options.destination ?? (pino.destination(1) as unknown as NodeJS.WritableStream));
  return pino({ level: options.level, name: "ponyci" }, transform);
}
