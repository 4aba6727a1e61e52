import { GC_KINDS, type GcKind } from "../domain/gc-item.js";
import type { GcReport } from "./collect-garbage.js";

const LABELS: Record<GcKind, string> = {
  environment: "environments",
  wheel: "wheels",
  mirror: "git mirrors",
  workspace: "workspaces",
  image: "toolchain images",
  "db-template": "test-database templates",
  log: "job logs",
  delivery: "deliveries",
};

/** "1.5 GiB", "312 KiB", "0 B". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The table `ponyci gc` prints: per kind, what there is and what was (or would be) freed. */
export function formatGcReport(report: GcReport): string {
  const verb = report.dryRun ? "would free" : "freed";
  const lines = [`Disk budget ${formatBytes(report.budgetBytes)}; in use ${formatBytes(report.totalBytes)}${report.dryRun ? " (dry run: nothing removed)" : ""}`];
  for (const kind of GC_KINDS) {
    const k = report.kinds[kind];
    if (k.count === 0) continue;
    const busy = k.inUse > 0 ? `, ${k.inUse} in use` : "";
    lines.push(`  ${LABELS[kind].padEnd(20)} ${String(k.count).padStart(5)} (${formatBytes(k.bytes)})  ${verb} ${k.removed} (${formatBytes(k.freedBytes)})${busy}`);
  }
  const freed = GC_KINDS.reduce((sum, kind) => sum + report.kinds[kind].freedBytes, 0);
  lines.push(`Total ${verb}: ${formatBytes(freed)}; left ${formatBytes(report.afterBytes)}${report.overBudget ? " — still over budget (what is left is in use or was used in the last 15 minutes)" : ""}`);
  for (const error of report.errors) lines.push(`warning: ${error}`);
  return `${lines.join("\n")}\n`;
}
