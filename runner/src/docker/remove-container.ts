import type Docker from "dockerode";

/** How long a removal keeps asking a daemon that does not answer (a restart takes seconds). */
export const DEFAULT_REMOVE_PATIENCE_MS = 30_000;

/**
 * Remove one of our containers, forced (killed first), with its anonymous
 * volumes unless `volumes: false`. Gone already (404) is done. A daemon
 * that does not answer (restarting: its socket refuses, or it answers 5xx,
 * or 409 while a removal is already under way) is asked again, with
 * backoff, for up to `patienceMs`: a daemon restart stops a cell's
 * container and fails the cell's first attempt, and a removal given up at
 * once left that container in the daemon for good once it was back (the
 * process that made it lives on, so the reaper of dead processes' containers
 * never takes it). Never throws; resolves false when it gave up.
 */
export async function removeContainer(container: Docker.Container, options: { volumes?: boolean; patienceMs?: number } = {}): Promise<boolean> {
  const giveUpAt = Date.now() + (options.patienceMs ?? DEFAULT_REMOVE_PATIENCE_MS);
  for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      await container.remove({ force: true, v: options.volumes ?? true });
      return true;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) return true;
      const again = status === undefined || status === 409 || status >= 500;
      if (!again || Date.now() + wait > giveUpAt) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
