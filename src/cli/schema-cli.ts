import { Command } from "commander";

/** `ponyci schema`'s command line. Starts nothing. */
export function schemaCli(): Command {
  return new Command("schema")
    .summary("print the JSON Schema of .github/ponyci.yml (or private-repos) for editors")
    .description(`Prints the JSON Schema (draft-07) of .github/ponyci.yml (repo-config, the default)
or of the private repositories' file, for editors, e.g. the first line of the file:
# yaml-language-server: $schema=./ponyci.schema.json`)
    .argument("[name]", "repo-config (default) or private-repos");
}
