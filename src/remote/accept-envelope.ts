import type { EventEnvelope } from "../domain/remote-protocol.js";

/** The attempt of a job the server waits for now. */
export interface CurrentAttempt {
  attemptId: string;
  fence: number;
}

/**
 * accept: the current attempt speaks. stale: an older attempt of the same
 * job (its runner was given up on, or it was superseded): dropped, so a cell
 * is reported once. unknown: no attempt of that job is awaited here (a
 * finished job, another server's job): dropped.
 */
export type EnvelopeVerdict = "accept" | "stale" | "unknown";

/** Fencing, purely: only the current attempt, with a fence not older than the current one, is heard. */
export function acceptEnvelope(current: CurrentAttempt | undefined, envelope: Pick<EventEnvelope, "attemptId" | "fence">): EnvelopeVerdict {
  if (!current) return "unknown";
  if (envelope.attemptId === current.attemptId && envelope.fence === current.fence) return "accept";
  return envelope.fence <= current.fence ? "stale" : "unknown";
}
