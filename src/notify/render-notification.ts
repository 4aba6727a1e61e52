import { html } from "../util/html.js";
import { BUCKET_LABELS, type BuildSummary } from "./build-summary.js";

/**
 * The channels' renderings of one `BuildSummary` (pure). Every value from a
 * repository or a test (branch, test ids, messages) is untrusted: the HTML
 * goes through the escaping template, chat text through `chatSafe`.
 */

const SYMBOL: Record<string, string> = { success: "✓", neutral: "○", failure: "✗", timed_out: "⏱", error: "!", cancelled: "–" };

function headline(s: BuildSummary): string {
  return s.event === "failure" ? `build #${s.buildId} failed` : `build #${s.buildId} is green again`;
}

function countsOf(counts: BuildSummary["cells"][number]["counts"]): string {
  if (!counts) return "";
  const parts = [`${counts.passed} passed`];
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.error) parts.push(`${counts.error} errors`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  return parts.join(", ");
}

export function renderEmail(s: BuildSummary): { subject: string; text: string; html: string } {
  const short = s.sha.slice(0, 7);
  const subject = `[Pony CI] ${s.repo} ${s.branch}: ${headline(s)} (${short})`;
  const lines = [`${s.repo} ${s.branch} at ${short}: ${headline(s)}.`, s.url, "", "Cells:"];
  for (const cell of s.cells) {
    lines.push(`  ${SYMBOL[cell.conclusion ?? ""] ?? "?"} ${cell.name}  ${cell.conclusion ?? "not run"}  ${countsOf(cell.counts)}${cell.attempts > 1 ? `  (${cell.attempts} attempts)` : ""}`);
  }
  if (s.failures.length > 0) {
    lines.push("", "Failing tests (new failures first):");
    for (const f of s.failures) {
      lines.push(`  ${f.test}  [${f.bucket ? BUCKET_LABELS[f.bucket] : "failed"}, ${f.cell}]`);
      if (f.location) lines.push(`    at ${f.location}`);
      if (f.message) lines.push(`    ${f.message}`);
      lines.push(`    ${f.url}`);
    }
    if (s.moreFailures > 0) lines.push(`  … and ${s.moreFailures} more: ${s.url}`);
  }
  lines.push("", "— Pony CI");
  const body = html`<p><strong>${s.repo}</strong> ${s.branch} at <code>${short}</code>: ${headline(s)}. <a href="${s.url}">Open build #${s.buildId}</a></p>
<table border="1" cellpadding="4" cellspacing="0"><tr><th>cell</th><th>result</th><th>tests</th></tr>${s.cells.map(
    (cell) => html`<tr><td><a href="${cell.url}">${cell.name}</a></td><td>${SYMBOL[cell.conclusion ?? ""] ?? "?"} ${cell.conclusion ?? "not run"}${cell.attempts > 1 ? ` (${cell.attempts} attempts)` : ""}</td><td>${countsOf(cell.counts)}</td></tr>`,
  )}</table>
${s.failures.length > 0 ? html`<h3>Failing tests (new failures first)</h3><ul>${s.failures.map((f) => html`<li><a href="${f.url}"><code>${f.test}</code></a> — ${f.bucket ? BUCKET_LABELS[f.bucket] : "failed"}, ${f.cell}${f.location ? html`<br>at <code>${f.location}</code>` : ""}${f.message ? html`<br><small>${f.message}</small>` : ""}</li>`)}</ul>${s.moreFailures > 0 ? html`<p>… and ${s.moreFailures} more.</p>` : ""}` : ""}`;
  return { subject, text: lines.join("\n") + "\n", html: `<!doctype html><html><body>${body.value}</body></html>` };
}

/** Chat markup characters of untrusted text neutralised: no links, mentions or formatting can be injected. */
function chatSafe(text: string): string {
  return text.replace(/[<>&*_~`|[\]@]/g, (c) => ({ "<": "‹", ">": "›", "&": "+", "@": "＠" })[c] ?? "");
}

/** One incoming-webhook message: Slack's `<url|text>` links or Mattermost's Markdown. */
export function renderChatText(s: BuildSummary, flavour: "slack" | "mattermost"): string {
  const link = (url: string, text: string) => (flavour === "slack" ? `<${url}|${text}>` : `[${text}](${url})`);
  const lines = [`${SYMBOL[s.conclusion] ?? ""} ${chatSafe(s.repo)} ${chatSafe(s.branch)} @ ${s.sha.slice(0, 7)}: ${link(s.url, headline(s))}`];
  for (const f of s.failures.slice(0, 5)) {
    lines.push(`• ${chatSafe(f.test)} (${f.bucket ? BUCKET_LABELS[f.bucket] : "failed"}, ${chatSafe(f.cell)})${f.location ? ` at ${chatSafe(f.location)}` : ""}`);
  }
  const more = s.failures.length - 5 + s.moreFailures;
  if (more > 0) lines.push(`… and ${more} more`);
  return lines.join("\n");
}

/** The webhook's JSON body: the summary under a versioned type. */
export function renderWebhookBody(s: BuildSummary): string {
  return JSON.stringify({ type: `ponyci.build.${s.event}`, version: 1, build: s });
}
