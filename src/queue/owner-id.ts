import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { isProcessAlive } from "../domain/is-process-alive.js";

/**
 * Who runs a job: "<host>:<pid>:<random>". The random part tells two queues
 * of one process apart; host and pid let `isOwnerDead` see at once that a
 * process of this host is gone, without waiting for its lease to expire.
 */
export function ownerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * True when `owner` names a process of this host that no longer exists.
 * Owners of other hosts, or of this process, are never declared dead here:
 * their leases decide. (A recycled pid only delays recovery to the lease.)
 */
export function isOwnerDead(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  return !isProcessAlive(pid);
}
