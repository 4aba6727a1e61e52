/**
 * The options of an INI file (setup.cfg), keyed "section.option", values as
 * their non-empty lines with line numbers: `install_requires =` followed by
 * indented lines gives one entry per line. Comments (`#`, `;` at line start)
 * are dropped. Only setuptools' two dependency options are read from it, so
 * configparser's interpolation and other corners do not matter here.
 */
export function readSetupCfg(text: string): Map<string, { text: string; line: number }[]> {
  const out = new Map<string, { text: string; line: number }[]>();
  let section = "";
  let current: { text: string; line: number }[] | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (/^\s*[#;]/.test(raw) || !raw.trim()) continue;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header && header[1]) {
      section = header[1].trim();
      current = undefined;
      continue;
    }
    if (/^\s/.test(raw) && current) {
      current.push({ text: raw.trim(), line: i + 1 });
      continue;
    }
    const opt = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (opt && opt[1]) {
      current = [];
      const first = (opt[2] ?? "").trim();
      if (first) current.push({ text: first, line: i + 1 });
      out.set(`${section}.${opt[1].trim()}`, current);
    }
  }
  return out;
}
