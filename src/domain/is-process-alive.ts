/**
 * True when a process with this pid exists on this host (signal 0 probes
 * without signalling; EPERM means it exists but belongs to another user).
 * A recycled pid reads as alive: callers fall back to leases or timeouts.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
