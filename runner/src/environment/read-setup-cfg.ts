/**
 * The options of an INI file (setup.cfg), keyed "section.option", values as
 * their non-empty lines: `install_requires =` followed by indented lines
 * gives one entry per line. Comments (`#`, `;` at line start) are dropped.
 */
export function readSetupCfg(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = "";
  let current: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || !raw.trim()) continue;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header && header[1]) {
      section = header[1].trim();
      current = undefined;
      continue;
    }
    if (/^\s/.test(raw) && current) {
      current.push(raw.trim());
      continue;
    }
    const opt = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (opt && opt[1]) {
      current = [];
      const first = (opt[2] ?? "").trim();
      if (first) current.push(first);
      out.set(`${section}.${opt[1].trim()}`, current);
    }
  }
  return out;
}
