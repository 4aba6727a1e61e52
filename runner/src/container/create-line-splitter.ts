/**
 * Turns a byte stream into bounded lines. Untrusted output: a line longer than
 * `maxLineBytes` is cut (marked with "…"), and once `maxTotalBytes` have been
 * passed on, further lines are only counted (`dropped`), never buffered.
 */
export interface LineSplitter {
  write(chunk: Buffer): void;
  /** Flush a last unterminated line. */
  end(): void;
  readonly dropped: number;
  readonly bytes: number;
}

export function createLineSplitter(options: {
  onLine: (line: string) => void;
  maxLineBytes?: number;
  maxTotalBytes?: number;
  /** A budget shared with other splitters (stdout and stderr of one cell); overrides maxTotalBytes. */
  budget?: { left: number };
}): LineSplitter {
  const maxLine = options.maxLineBytes ?? 8192;
  const budget = options.budget ?? { left: options.maxTotalBytes ?? Number.POSITIVE_INFINITY };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let cut = false;
  let dropped = 0;
  let total = 0;

  const emit = () => {
    if (budget.left <= 0) {
      dropped++;
    } else {
      let line = Buffer.concat(pending).toString("utf8");
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (cut) line += "…";
      budget.left -= pendingBytes + 1;
      options.onLine(line);
    }
    pending = [];
    pendingBytes = 0;
    cut = false;
  };

  const take = (part: Buffer) => {
    if (budget.left <= 0) return; // only counting now: keep nothing
    const room = maxLine - pendingBytes;
    if (room <= 0) {
      if (part.length > 0) cut = true;
      return;
    }
    if (part.length > room) {
      pending.push(part.subarray(0, room));
      pendingBytes += room;
      cut = true;
    } else {
      pending.push(part);
      pendingBytes += part.length;
    }
  };

  return {
    write(chunk) {
      total += chunk.length;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl === -1) break;
        take(chunk.subarray(start, nl));
        emit();
        start = nl + 1;
      }
      if (start < chunk.length) take(chunk.subarray(start));
    },
    end() {
      if (pendingBytes > 0 || cut) emit();
    },
    get dropped() {
      return dropped;
    },
    get bytes() {
      return total;
    },
  };
}
