import { Command } from "commander";

/** `ponyci gc`'s command line. Starts nothing. */
export function gcCli(): Command {
  return new Command("gc")
    .summary("remove caches over the disk budget (PONYCI_DISK_BUDGET), oldest first")
    .description(`Removes what is over the disk budget (PONYCI_DISK_BUDGET, default 25% of the
disk holding PONYCI_DATA_DIR), least recently used first: environments (and the
unpacked wheels they link), wheels, git mirrors, job logs; plus, whatever the budget, workspaces of crashed
jobs and deliveries older than a week. Never what a running job uses, nor
anything used in the last 15 minutes. Prints what it freed, per kind.`)
    .option("-n, --dry-run", "list and decide, remove nothing");
}
