/* eslint-disable no-control-regex -- matching control characters is the point of this file */
const ANSI_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Makes untrusted output (test messages, tracebacks, log lines) safe to put
 * in a JSON body and readable on GitHub: drops ANSI escape sequences and
 * control characters (keeping tab and newline), turns CR/CRLF into LF, and
 * replaces lone surrogates with U+FFFD. Does not escape Markdown or HTML.
 */
export function sanitizeText(text: string): string {
  return text
    .replace(ANSI_SEQUENCE, "")
    .replace(/\r\n?/g, "\n")
    .replace(CONTROL, "")
    .replace(LONE_SURROGATE, "\ufffd");
}
