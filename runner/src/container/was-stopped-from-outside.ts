import type Docker from "dockerode";

/**
 * True when Docker stopped or killed the container through its API after
 * `sinceMs` — a daemon shutting down (it stops every container: SIGTERM,
 * which the harness forwards to the tests, then SIGKILL), or someone's
 * `docker stop` / `docker kill`. The caller rules out its own kills
 * (timeout, cancel). A process killed from inside the container, or by the
 * kernel's OOM killer, leaves no such event: those stay the project's verdict.
 *
 * Asks the daemon's event log (`GET /events` with `until`, which returns at
 * once). Throws when the daemon cannot be asked: also an infrastructure
 * problem for the caller.
 */
export async function wasStoppedFromOutside(docker: Docker, containerId: string, sinceMs: number): Promise<boolean> {
  const stream = await docker.getEvents({
    since: Math.floor(sinceMs / 1000) - 1,
    // Fractional seconds: "until now", events of the current second included.
    until: Number((Date.now() / 1000).toFixed(3)),
    filters: { container: [containerId], event: ["kill", "stop"] },
  });
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text.split("\n").some((line) => line.trim() !== "");
}
