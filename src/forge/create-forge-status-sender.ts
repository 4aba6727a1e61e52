import type { PrivateRepo } from "../bridge/private-repo.js";
import type { SendWrite } from "../outbox/outbox.js";
import type { ForgeStatusWrite } from "./forge-status-write.js";

/**
 * The forges' outbox send function: one POST per status, with the
 * repository's token from the operator's file (Gitea and Forgejo:
 * `Authorization: token …`; GitLab: `PRIVATE-TOKEN`). 2xx is sent; GitLab's
 * 400 "Cannot transition status" means the status already is that state
 * (a resend after a crash): sent too. Other 4xx are rejected for good;
 * 408, 429, 5xx and network errors are retried. A status names only the
 * API URL the operator configured: the URL is rebuilt from the config, never
 * taken from the stored write, so an outbox row cannot aim the token elsewhere.
 */
export function createForgeStatusSender(options: { repos: readonly PrivateRepo[]; timeoutMs?: number }): SendWrite {
  const repos = new Map(options.repos.map((repo) => [repo.name, repo]));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (write) => {
    const w = write.payload as ForgeStatusWrite;
    const forge = repos.get(w.repo)?.forge;
    if (!forge?.token) return { status: "rejected", reason: `no forge token configured for ${w.repo}` };
    if (!w.url.startsWith(`${forge.api}/`)) return { status: "rejected", reason: `status URL is not under ${forge.api}` };
    const auth: Record<string, string> = forge.kind === "gitlab" ? { "PRIVATE-TOKEN": forge.token } : { Authorization: `token ${forge.token}` };
    let response: Response;
    try {
      response = await fetch(w.url, { method: "POST", body: JSON.stringify(w.body), headers: { "Content-Type": "application/json", Accept: "application/json", "User-Agent": "ponyci/1", ...auth }, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      return { status: "retry", reason: `${new URL(w.url).host}: ${(error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (error as Error).message}` };
    }
    const text = (await response.text().catch(() => "")).slice(0, 300);
    if (response.ok) return { status: "sent", response: { status: response.status } };
    if (forge.kind === "gitlab" && response.status === 400 && /Cannot transition status/i.test(text)) return { status: "sent", response: { status: 400, unchanged: true } };
    const reason = `HTTP ${response.status} from ${new URL(w.url).host}${text ? `: ${text}` : ""}`;
    if (response.status === 408 || response.status === 429 || response.status >= 500) return { status: "retry", reason };
    return { status: "rejected", reason };
  };
}
