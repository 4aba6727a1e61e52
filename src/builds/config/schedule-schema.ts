/** A cron string (five fields, UTC) or `{cron, branches}`; croner checks the fields (src/schedules/read-schedule.ts). */
const cronEntry = {
  anyOf: [
    { type: "string", pattern: "^\\s*\\S+(\\s+\\S+){4}\\s*$", errorMessage: '`cron: "{value}"` is not five cron fields (minute hour day month weekday, in UTC), e.g. "0 3 * * *"' },
    {
      type: "object",
      additionalProperties: false,
      required: ["cron"],
      properties: {
        cron: { type: "string", description: "Five cron fields, UTC, e.g. \"0 3 * * *\"." },
        branches: { type: "array", minItems: 1, maxItems: 10, items: { type: ["string", "number"], pattern: "^(?!-)(?!.*\\.\\.)[A-Za-z0-9._/-]{1,200}$", errorMessage: 'schedule branch "{value}" is not a branch name: write it as it is, e.g. main or stable/5.x (no patterns)' }, description: "Branches to build at each tick (names, no patterns)." },
      },
    },
  ],
} as const;

/** The JSON Schema of `schedule:` (read by read-schedule.ts), part of both config files' schemas: cron entries in UTC that build branches' heads. */
export const scheduleSchema = {
  description: "Cron entries (UTC) that build branches' heads: `- {cron: \"30 2 * * 1\", branches: [main]}` or one cron string.",
  anyOf: [{ type: "string" }, { type: "array", maxItems: 10, items: cronEntry }],
  errorMessage: '`schedule:` must be a list of cron entries, e.g. `schedule: [{cron: "0 3 * * *"}]`',
} as const;
