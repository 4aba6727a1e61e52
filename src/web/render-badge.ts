import { escapeHtml } from "../util/html.js";

const COLOURS: Record<string, string> = { success: "#2da44e", failure: "#cf222e", error: "#9a6700", timed_out: "#9a6700", cancelled: "#6e7781", running: "#0969da", queued: "#6e7781", unknown: "#6e7781" };

/**
 * A shields.io-style flat badge: "<label> | <status>". Width estimated at
 * 6.5 px per character (Verdana 11 px, as shields does without measuring). Pure.
 */
export function renderBadge(label: string, status: string): string {
  const w = (text: string) => Math.round(text.length * 6.5 + 12);
  const lw = w(label);
  const sw = w(status);
  const colour = COLOURS[status] ?? COLOURS.unknown;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + sw}" height="20" role="img" aria-label="${escapeHtml(`${label}: ${status}`)}"><title>${escapeHtml(`${label}: ${status}`)}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${sw}" height="20" fill="${colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="14">${escapeHtml(label)}</text><text x="${lw + sw / 2}" y="14">${escapeHtml(status)}</text></g></svg>\n`;
}
