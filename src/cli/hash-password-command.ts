import { randomBytes } from "node:crypto";
import { hashPassword } from "../web/web-users.js";

/**
 * `ponyci hash-password`: reads a password on stdin (not argv, which other
 * users see in `ps`) and prints the `scrypt:<salt>:<hash>` line for the
 * dashboard's users file (PONYCI_WEB_USERS).
 *
 *   printf '%s' 'my password' | ponyci hash-password
 */
export async function hashPasswordCommand(io: { stdin: AsyncIterable<Buffer | string>; out: { write(text: string): void }; err: { write(text: string): void } }): Promise<number> {
  let text = "";
  for await (const chunk of io.stdin) {
    text += chunk.toString();
    if (text.length > 4096) break;
  }
  const password = text.replace(/\r?\n$/, "");
  if (password.length < 8 || password.length > 1024) {
    io.err.write("ponyci hash-password: give a password of 8 to 1024 characters on stdin, e.g. printf '%s' \"$PASSWORD\" | ponyci hash-password\n");
    return 2;
  }
  io.out.write(`${hashPassword(password, randomBytes(16))}\n`);
  return 0;
}
