import { Command } from "commander";

/** `ponyci hash-password`'s command line. Starts nothing. */
export function hashPasswordCli(): Command {
  return new Command("hash-password")
    .summary("read a password on stdin, print its line for PONYCI_WEB_USERS")
    .description(`Reads a password on stdin (not the command line, which other users see in ps)
and prints its scrypt:<salt>:<hash> line for the dashboard's users file
(PONYCI_WEB_USERS), e.g.
  printf '%s' "$PASSWORD" | ponyci hash-password`);
}
