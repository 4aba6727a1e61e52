/** What the garbage collector removes, by kind; reported per kind. */
export type GcKind = "environment" | "wheel" | "mirror" | "workspace" | "image" | "db-template" | "log" | "delivery";

export const GC_KINDS: readonly GcKind[] = ["environment", "wheel", "mirror", "workspace", "image", "db-template", "log", "delivery"];

/**
 * One removable thing on the data disk (or in the store), as a source saw it.
 * Contract for sources: `bytes` is what removing it frees (a best estimate),
 * `lastUsedMs` when Pony CI last used it (epoch ms), `inUse` true when
 * removing it now would break running work (the collector never removes it
 * then), `garbage` true when it has no use left whatever the budget (a
 * crashed job's workspace). `remove` throws when the thing could not be
 * removed (then it is counted as kept); removing what is already gone is not
 * an error.
 */
export interface GcItem {
  kind: GcKind;
  /** For people: an environment key, a file name, a path, a job id. */
  id: string;
  bytes: number;
  lastUsedMs: number;
  inUse: boolean;
  garbage?: boolean;
  remove(): Promise<void>;
}

/**
 * Lists one kind of item. Called once per collection; must not remove
 * anything itself. Throws only when the whole kind cannot be listed (Docker
 * down): the collector reports that and goes on with the other sources.
 */
export interface GcSource {
  kind: GcKind;
  list(): Promise<GcItem[]>;
}
