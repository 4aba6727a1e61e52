import type { SourceLocation, TestCounts, TestOutcome, TestResult } from "../../../src/domain/events.js";

/**
 * The harness's events (runner/harness/README.md), validated. The harness runs
 * inside the untrusted container, so every line is checked field by field and
 * anything unexpected is dropped rather than trusted.
 */
export type HarnessEvent =
  | { event: "start"; runner: string; command: string[]; python?: string; django?: string }
  | { event: "test"; test: TestResult }
  | { event: "error"; message: string; traceback?: string; location?: SourceLocation }
  | { event: "command"; step: string; command: string[]; exitCode: number }
  | { event: "end"; exitCode: number; durationMs: number; totals?: TestCounts }
  /** A test runner the harness reads ran (Django's, unittest, pytest): its tests are readable, even when none ran. */
  | { event: "run"; framework: string }
  /** The migrated test database: "ready" to be kept (the harness waits for the runner's ack), or "skipped" and why. */
  | { event: "db_template"; state: "ready" | "skipped"; reason?: string; database?: string }
  | { event: "db_template"; state: "restored"; migrate: "skipped" | "ran" };

const OUTCOMES: readonly TestOutcome[] = ["passed", "failed", "error", "skipped", "xfail", "xpass"];
const MAX_TEXT = 64 * 1024;

export function parseHarnessEvent(line: string): HarnessEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  switch (raw.event) {
    case "start":
      return {
        event: "start",
        runner: text(raw.runner) ?? "unknown",
        command: Array.isArray(raw.command) ? raw.command.map(String).slice(0, 100) : [],
        python: text(raw.python),
        django: text(raw.django),
      };
    case "test": {
      const id = text(raw.id);
      const outcome = raw.outcome as TestOutcome;
      if (!id || !OUTCOMES.includes(outcome)) return undefined;
      return {
        event: "test",
        test: {
          id,
          outcome,
          durationMs: seconds(raw.duration),
          message: text(raw.message),
          traceback: text(raw.traceback),
          location: location(raw),
        },
      };
    }
    case "error":
      return { event: "error", message: text(raw.message) ?? "the test suite crashed", traceback: text(raw.traceback), location: location(raw) };
    case "run":
      return { event: "run", framework: (text(raw.framework) ?? "unknown").slice(0, 40) };
    case "command": {
      const step = text(raw.step);
      if (!step || step.length > 60 || !Array.isArray(raw.command) || !Number.isInteger(raw.exit_code)) return undefined;
      return { event: "command", step, command: raw.command.slice(0, 100).map((arg) => String(arg).slice(0, 1000)), exitCode: raw.exit_code as number };
    }
    case "db_template":
      if (raw.state === "restored") return raw.migrate === "skipped" || raw.migrate === "ran" ? { event: "db_template", state: "restored", migrate: raw.migrate } : undefined;
      if (raw.state !== "ready" && raw.state !== "skipped") return undefined;
      if (raw.state === "skipped") return { event: "db_template", state: raw.state, reason: (text(raw.reason) ?? "").slice(0, 300) };
      // MariaDB/MySQL: the test database the runner dumps; a name, checked again where it is used (mysql-template.ts).
      return { event: "db_template", state: raw.state, ...(typeof raw.database === "string" && raw.database.length <= 64 ? { database: raw.database } : {}) };
    case "end":
      return { event: "end", exitCode: Number.isInteger(raw.exit_code) ? (raw.exit_code as number) : -1, durationMs: seconds(raw.duration), totals: totals(raw.totals) };
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}

function seconds(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : 0;
}

/** A repo-relative path: no absolute paths, no `..`, forward slashes. */
function location(raw: Record<string, unknown>): SourceLocation | undefined {
  const file = text(raw.path);
  const line = raw.line;
  if (!file || typeof line !== "number" || !Number.isInteger(line) || line < 1) return undefined;
  const clean = file.replace(/\\/g, "/").replace(/^(\.\/)+/, "");
  if (clean.startsWith("/") || clean.split("/").includes("..")) return undefined;
  return { path: clean, line };
}

function totals(value: unknown): TestCounts | undefined {
  if (!isRecord(value)) return undefined;
  const n = (key: string) => (typeof value[key] === "number" && Number.isInteger(value[key]) ? (value[key] as number) : 0);
  return { passed: n("passed"), failed: n("failed"), error: n("error"), skipped: n("skipped"), xfail: n("xfail"), xpass: n("xpass"), total: n("total") };
}
