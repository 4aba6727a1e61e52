import type { RunnerEvent } from "../../../src/domain/events.js";
import type { WireEvent } from "../../../src/domain/remote-protocol.js";

/** A runner event as it travels over Redis: JSON, the infrastructure error reduced to a flag (its message is in `error`). */
export function toWireEvent(event: RunnerEvent): WireEvent {
  if (event.type !== "finished") return event;
  const { infrastructureError, ...rest } = event;
  return infrastructureError ? { ...rest, infrastructure: true } : rest;
}
