import { Command } from "commander";

/** `ponyci images`' command line (with `add`). Starts nothing. */
export function imagesCli(): Command {
  return new Command("images")
    .summary("list the Python base images and where each came from; add one")
    .usage("[options]\n       ponyci images add X.Y [--from debian|host] [--prefix DIR]\n       ponyci images add pypy3.X")
    .description(`Lists the Python base images this installation has (version, implementation,
libc, where each came from) and the Pythons it can add the first time a cell
needs one. \`add\` builds ponyci/python:X.Y now: from a Debian suite that ships it,
else from a CPython on this host (pyenv, uv, or --prefix DIR, e.g. /opt/python3.12).
\`add pypy3.X\` builds ponyci/pypy:3.X from the Debian suite whose pypy3 implements
Python 3.X (bookworm: 3.9, trixie: 3.11).`)
    .argument("[add]", "add a base image")
    .argument("[X.Y]", "the Python version to add, e.g. 3.12 or pypy3.11")
    .option("--json", "the list as JSON on stdout")
    .option("--from <where>", "add: debian or host")
    .option("--prefix <dir>", "add: a CPython installed in DIR");
}
