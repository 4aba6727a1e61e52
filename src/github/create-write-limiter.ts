import Bottleneck from "bottleneck";

/**
 * GitHub's write pacing, as Octokit's throttling plugin (inside Probot)
 * takes it: `throttle.write`, a Bottleneck group keyed by installation.
 * Octokit's default spaces writes a second apart, so a burst of 20 pushes
 * (a cell and a "Pony CI" run each: 40 creates) takes 40 s to show. GitHub's
 * documented secondary limits are 80 content-creating requests a minute and
 * 500 an hour, with requests made serially; this paces writes serially and
 * 200 ms apart within a budget of 80 a minute (the reservoir), so a burst
 * shows within seconds and a minute never exceeds the limit. The outbox
 * still retries what GitHub refuses (retry-after honoured).
 */
export function createWriteLimiter(options: { minTimeMs?: number; perMinute?: number } = {}): Bottleneck.Group {
  const perMinute = options.perMinute ?? 80;
  return new Bottleneck.Group({
    maxConcurrent: 1,
    minTime: options.minTimeMs ?? 200,
    reservoir: perMinute,
    reservoirRefreshAmount: perMinute,
    reservoirRefreshInterval: 60_000,
  });
}
