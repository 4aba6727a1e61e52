import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "../metrics/metrics.js";

/** One dependency /healthz checks: resolves when reachable, rejects (with a reason) when not. */
export type HealthCheck = () => Promise<unknown>;

/**
 * GET /healthz: every check (store, Docker, queue) with a deadline; 200 and
 * "ok" when all pass, else 503 naming what failed (for load balancers and
 * systemd watchdogs). GET /metrics: the Prometheus text format.
 */
export function createOpsHandler(options: { checks: Record<string, HealthCheck>; metrics: Metrics; timeoutMs?: number }) {
  const timeoutMs = options.timeoutMs ?? 3_000;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      const results = await Promise.all(
        Object.entries(options.checks).map(async ([name, check]) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
            return [name, { ok: true }] as const;
          } catch (error) {
            return [name, { ok: false, error: (error instanceof Error ? error.message : String(error)).slice(0, 200) }] as const;
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const ok = results.every(([, result]) => result.ok);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(`${JSON.stringify({ status: ok ? "ok" : "fail", checks: Object.fromEntries(results) })}\n`);
      return true;
    }
    if (path === "/metrics") {
      const text = await options.metrics.registry.metrics();
      res.writeHead(200, { "content-type": options.metrics.registry.contentType, "cache-control": "no-store" }).end(text);
      return true;
    }
    return false;
  };
}
