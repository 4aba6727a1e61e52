import type { EventEnvelope } from "../domain/remote-protocol.js";

const TYPES = new Set(["taken", "started", "log", "test", "finished"]);
/** Bigger than any event a runner writes (log lines are bounded by the runner); anything bigger is not one of ours. */
const MAX_BYTES = 1024 * 1024;

/**
 * An envelope read from the events stream, or undefined when it is not one
 * (wrong shape, oversized). Runner hosts are the operator's, but what they
 * relay (test names, log lines) is untrusted: it is handled downstream as
 * such; here only the envelope's shape is checked.
 */
export function parseEnvelope(text: string): EventEnvelope | undefined {
  if (text.length > MAX_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const envelope = value as Partial<EventEnvelope>;
  if (typeof envelope.attemptId !== "string" || typeof envelope.jobId !== "string" || typeof envelope.runnerId !== "string") return undefined;
  if (typeof envelope.fence !== "number" || !Number.isInteger(envelope.fence)) return undefined;
  const event = envelope.event as { type?: unknown } | undefined;
  if (typeof event !== "object" || event === null || typeof event.type !== "string" || !TYPES.has(event.type)) return undefined;
  return envelope as EventEnvelope;
}
