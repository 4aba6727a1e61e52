export interface TruncateTextOptions {
  /** Limit in UTF-8 bytes. */
  maxBytes?: number;
  /** Limit in UTF-16 code units (JavaScript `length`; never less than the code points GitHub counts). */
  maxChars?: number;
  /** Part to keep: "start" (default), "end", or "middle" (keeps both ends, cuts the middle). */
  keep?: "start" | "end" | "middle";
  /** With keep "middle": share of the budget for the start (default 0.5). */
  headShare?: number;
  /** Put where text was cut; "{count}" becomes the number of characters cut. Default "…". */
  marker?: string;
  /** Cut at line breaks where the kept part has one, so no line is shown half. */
  wholeLines?: boolean;
}

/**
 * Cuts `text` to fit every given limit, marker included, without splitting a
 * surrogate pair. Text that already fits is returned unchanged. If not even
 * the marker fits, returns as much of the marker as fits.
 */
export function truncateText(text: string, options: TruncateTextOptions): string {
  const maxBytes = options.maxBytes ?? Infinity;
  const maxChars = options.maxChars ?? Infinity;
  if (text.length <= maxChars && (maxBytes === Infinity || Buffer.byteLength(text, "utf8") <= maxBytes)) return text;

  const points = Array.from(text);
  const marker = options.marker ?? "…";
  const markerFor = (count: number) => marker.replaceAll("{count}", String(count));
  const costOf = (s: string) => ({ chars: s.length, bytes: Buffer.byteLength(s, "utf8") });
  // The marker naming all characters is the longest one we could need.
  const markerCost = costOf(markerFor(points.length));
  const budget = { chars: maxChars - markerCost.chars, bytes: maxBytes - markerCost.bytes };
  if (budget.chars < 0 || budget.bytes < 0) return takeFrom(Array.from(markerFor(points.length)), maxChars, maxBytes, "start").join("");

  const keep = options.keep ?? "start";
  let head: string[] = [];
  let tail: string[] = [];
  if (keep === "start") head = takeFrom(points, budget.chars, budget.bytes, "start");
  else if (keep === "end") tail = takeFrom(points, budget.chars, budget.bytes, "end");
  else {
    const share = options.headShare ?? 0.5;
    head = takeFrom(points, Math.floor(budget.chars * share), Math.floor(budget.bytes * share), "start");
    const used = costOf(head.join(""));
    tail = takeFrom(points.slice(head.length), budget.chars - used.chars, budget.bytes - used.bytes, "end");
  }
  if (options.wholeLines) {
    const headEnd = head.lastIndexOf("\n");
    if (headEnd >= 0) head = head.slice(0, headEnd + 1);
    const tailStart = tail.indexOf("\n");
    if (tailStart >= 0 && tailStart < tail.length - 1) tail = tail.slice(tailStart + 1);
  }
  const cut = points.length - head.length - tail.length;
  return head.join("") + markerFor(cut) + tail.join("");
}

/** The longest run of whole code points from one end within both budgets. */
function takeFrom(points: string[], maxChars: number, maxBytes: number, from: "start" | "end"): string[] {
  let chars = 0;
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < points.length; i++) {
    const point = points[from === "start" ? i : points.length - 1 - i] ?? "";
    chars += point.length;
    bytes += Buffer.byteLength(point, "utf8");
    if (chars > maxChars || bytes > maxBytes) break;
    count++;
  }
  return from === "start" ? points.slice(0, count) : points.slice(points.length - count);
}
