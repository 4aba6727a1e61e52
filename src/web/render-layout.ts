import { html, type SafeHtml } from "../util/html.js";
import { viewerName, type Viewer } from "./viewer.js";

export interface LayoutOptions {
  title: string;
  viewer: Viewer;
  csrf: string;
  body: SafeHtml;
  /** Add the live-update script (pages work without it). */
  live?: boolean;
}

/** The page shell: header with sign-in state, the body, the stylesheet and (optionally) the live script. Pure. */
export function renderLayout(options: LayoutOptions): string {
  const name = viewerName(options.viewer);
  const account = name
    ? html`<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="${options.csrf}"><span class="who">${name}</span> <button type="submit">Sign out</button></form>`
    : html`<a href="/login">Sign in</a>`;
  return `<!doctype html>
${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Pony CI</title>
<link rel="stylesheet" href="/assets/dashboard.css">
${options.live ? html`<script src="/assets/live.js" defer></script>` : ""}
</head><body>
<header><a class="brand" href="/">Pony CI</a><nav>${account}</nav></header>
<main>
${options.body}
</main></body></html>`.value}
`;
}
