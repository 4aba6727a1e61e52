/**
 * PEP 503 name normalisation ("Factory_Boy" → "factory-boy"), also the rule
 * PEP 685 gives extras and PEP 735 dependency groups: the one copy app and
 * runner use. Hand-written: it is the one regular expression the PEP gives.
 */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
