import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store/store.js";
import { renderBuildPage } from "./render-build-page.js";

/**
 * GET /builds/<id>: the page check runs link to. Public builds only: a
 * private build (the bridge's) answers 404 like an unknown one, so its
 * existence is not revealed. Returns false for other paths (Probot handler).
 */
export function createBuildPageHandler(store: Store) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const match = /^\/builds\/(\d+)\/?$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (!match || (req.method !== "GET" && req.method !== "HEAD")) return false;
    const build = store.getBuild(Number(match[1]));
    if (!build || build.visibility !== "public") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("No such build\n");
      return true;
    }
    const jobs = store.listJobs(build.id).map((job) => ({ job, failures: store.listTestResults(job.id, { outcomes: ["failed", "error"] }) }));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "x-content-type-options": "nosniff" }).end(renderBuildPage(build, jobs));
    return true;
  };
}
