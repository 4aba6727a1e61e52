/**
 * Removes every secret from `text`: each given secret verbatim, the base64 of
 * `x-access-token:<secret>` (the form that rides in the Authorization header), and
 * the password part of any `scheme://user:password@host` URL.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of expandSecrets(secrets)) out = out.split(secret).join("***");
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:'"]*):([^/@\s'"]*)@/gi, "$1$2:***@");
}

/** The forms a token can take once handed to git (verbatim and inside a basic-auth header). */
function expandSecrets(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue; // too short to scrub without mangling ordinary text
    forms.add(secret);
    forms.add(encodeBasicAuth(secret));
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a form containing another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** The base64 credentials GitHub expects for an installation token over https. */
export function encodeBasicAuth(token: string): string {
  return Buffer.from(`x-access-token:${token}`, "utf8").toString("base64");
}
