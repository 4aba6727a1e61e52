import { lstat, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { create } from "xmlbuilder2";
import type { TestOutcome, TestResult } from "../../../src/domain/events.js";
import { readUntrustedBytes } from "../../../src/util/read-untrusted-file.js";

/** Bounds of the search: a workspace is untrusted and may be huge. */
export const JUNIT_LIMITS = { maxDepth: 4, maxEntries: 20_000, maxFiles: 200, maxFileBytes: 8 * 1024 * 1024, maxTotalBytes: 32 * 1024 * 1024, maxTests: 100_000 };
const MAX_TEXT = 16 * 1024;
/** Directories never searched: version control and installed packages. */
const SKIPPED_DIRS = new Set([".git", ".hg", "node_modules", ".tox", ".nox", ".venv", "venv", "site-packages", "__pycache__"]);

/**
 * The per-test results of the JUnit XML files a test command wrote into the
 * workspace (xmlrunner's TEST-*.xml, pytest's --junitxml, any runner's
 * report): `.xml` files modified at or after `since` (the checkout's own
 * files are older), whose root is `<testsuites>` or `<testsuite>`. The walk
 * never follows a symbolic link (lstat; files opened O_NOFOLLOW|O_NONBLOCK,
 * regular files only) and is bounded (JUNIT_LIMITS); what was skipped is
 * said in `notes`. Used only when no runner the harness reads ran.
 */
export async function readJunitReports(root: string, options: { since: number }): Promise<{ tests: TestResult[]; files: string[]; notes: string[] }> {
  const tests: TestResult[] = [];
  const files: string[] = [];
  const notes: string[] = [];
  let entries = 0;
  let totalBytes = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    let list;
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    list.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of list) {
      if (++entries > JUNIT_LIMITS.maxEntries || files.length >= JUNIT_LIMITS.maxFiles) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < JUNIT_LIMITS.maxDepth && !SKIPPED_DIRS.has(entry.name)) await walk(path, depth + 1);
        continue;
      }
      if (!entry.name.toLowerCase().endsWith(".xml")) continue;
      if (entry.isSymbolicLink()) {
        notes.push(`JUnit XML ${JSON.stringify(relative(root, path))} not read: it is a symbolic link`);
        continue;
      }
      if (!entry.isFile()) continue;
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isFile() || st.mtimeMs < options.since) continue;
      const name = relative(root, path);
      if (totalBytes + st.size > JUNIT_LIMITS.maxTotalBytes) {
        notes.push(`JUnit XML ${JSON.stringify(name)} not read: the reports pass ${JUNIT_LIMITS.maxTotalBytes / 1024 ** 2} MiB`);
        return;
      }
      let text: string;
      try {
        const data = await readUntrustedBytes(path, { maxBytes: JUNIT_LIMITS.maxFileBytes });
        if (!data) continue;
        totalBytes += data.length;
        text = data.toString("utf8");
      } catch (error) {
        notes.push(`JUnit XML ${JSON.stringify(name)} not read: ${error instanceof Error ? error.message.replace(root, "") : String(error)}`);
        continue;
      }
      const parsed = parseJunitXml(text);
      if (parsed === undefined) continue; // some other XML
      if (typeof parsed === "string") {
        notes.push(`JUnit XML ${JSON.stringify(name)} not read: ${parsed}`);
        continue;
      }
      files.push(name);
      for (const test of parsed) {
        if (tests.length >= JUNIT_LIMITS.maxTests) break;
        tests.push(test);
      }
    }
  };
  await walk(root, 0);
  return { tests, files, notes };
}

/**
 * The test cases of one JUnit XML document (the common schema: testsuites >
 * testsuite > testcase with failure / error / skipped children). Undefined
 * when the root is not a test report; a string saying why when the
 * document is refused: a DOCTYPE (no entity of a hostile document is ever
 * expanded) or XML that does not parse. Ids are `classname.name`, as
 * Django's runner reports them. Pure.
 */
export function parseJunitXml(text: string): TestResult[] | string | undefined {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return "a DOCTYPE or entity declaration is not accepted";
  let doc;
  try {
    doc = create(text).node as unknown as XmlDocument;
  } catch (error) {
    return `not well-formed XML (${error instanceof Error ? error.message.split("\n")[0]?.slice(0, 200) : "parse error"})`;
  }
  const rootName = doc.documentElement?.tagName;
  if (rootName !== "testsuites" && rootName !== "testsuite") return undefined;
  const out: TestResult[] = [];
  for (const testcase of Array.from(doc.getElementsByTagName("testcase"))) {
    const name = clip(testcase.getAttribute("name") ?? "");
    if (!name) continue;
    const classname = clip(testcase.getAttribute("classname") ?? "");
    let outcome: TestOutcome = "passed";
    let message: string | undefined;
    let traceback: string | undefined;
    for (const child of Array.from(testcase.childNodes)) {
      if (child.nodeType !== 1) continue;
      const tag = (child as XmlElement).tagName;
      const kind: TestOutcome | undefined = tag === "failure" ? "failed" : tag === "error" ? "error" : tag === "skipped" ? "skipped" : undefined;
      if (!kind) continue;
      outcome = kind;
      message = clip((child as XmlElement).getAttribute("message") ?? "") || undefined;
      traceback = clip(child.textContent ?? "").trim() || undefined;
      break;
    }
    const seconds = Number(testcase.getAttribute("time"));
    out.push({
      id: classname ? `${classname}.${name}` : name,
      outcome,
      durationMs: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : 0,
      ...(message ? { message } : {}),
      ...(traceback && outcome !== "skipped" ? { traceback } : {}),
    });
  }
  return out;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** The DOM subset used here (xmlbuilder2's parser gives a W3C DOM). */
interface XmlNode {
  nodeType: number;
  textContent: string | null;
  childNodes: ArrayLike<XmlNode>;
}
interface XmlElement extends XmlNode {
  tagName: string;
  getAttribute(name: string): string | null;
}
interface XmlDocument {
  documentElement: XmlElement | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement>;
}
