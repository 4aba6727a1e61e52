/**
 * Pony CI's reading of a tox.ini against tox 4's own: `tox config` on a
 * trusted fixture (tox runs on the host here only because the fixture is
 * ours), every setting Pony CI honours compared value by value.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { readFileSync } from "node:fs";
import path from "node:path";
import { split as shlexSplit } from "shlex";
import { readToxConfig } from "../../src/builds/matrix/read-tox-config.js";
import { isDjangoRequirement } from "../../src/builds/matrix/resolve-tox-deps.js";
import { resolveToxEnv } from "../../src/builds/tox/resolve-tox-env.js";

const fixture = path.resolve("test/fixtures/tox/conformance");
const envs = ["py311-django42-sqlite3", "py311-django42-mysql", "py311-django52-sqlite3", "py311-django52-mysql", "custom"];
const keys = ["commands", "commands_pre", "commands_post", "set_env", "change_dir", "deps", "extras", "skip_install", "ignore_outcome", "ignore_errors"];
/** What the test container has; tox is given the same and nothing else of the host's. */
const environ = { CI: "true", PONYCI: "1", HOME: "/tmp" };

let toxConfig: Map<string, Map<string, string[]>>;

beforeAll(async () => {
  const tox = (await execa("bash", ["runner/host/ensure-tox.sh"])).stdout.trim();
  const { stdout } = await execa(tox, ["config", "-e", envs.join(","), "-k", ...keys], {
    cwd: fixture,
    env: { ...environ, PATH: process.env.PATH ?? "/usr/bin:/bin" },
    extendEnv: false,
  });
  toxConfig = parseToxConfigOutput(stdout);
}, 300_000);

/** `tox config` prints INI: `[testenv:x]`, `key = value` or `key =` followed by indented lines. */
function parseToxConfigOutput(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const header = /^\[testenv:(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      out.set(header[1] ?? "", section);
      continue;
    }
    if (/^ {2}\S/.test(line) && current) {
      current.push(line.trim());
      continue;
    }
    const kv = /^(\w+) =(?: (.*))?$/.exec(line);
    if (kv && section) {
      current = kv[2] !== undefined && kv[2].trim() !== "" ? [kv[2].trim()] : [];
      section.set(kv[1] ?? "", current);
    }
  }
  return out;
}

/** tox's absolute paths written as the placeholders the harness fills in. */
function placeholders(env: string, value: string): string {
  const work = `${fixture}/.tox`;
  return value
    .replace(new RegExp(`${escape(`${work}/${env}/bin/python`)}(?![\\w.])`, "g"), "{envpython}")
    .replaceAll(`${work}/${env}/bin`, "{envbindir}")
    .replaceAll(`${work}/${env}/tmp`, "{envtmpdir}")
    .replaceAll(`${work}/${env}`, "{envdir}")
    .replaceAll(work, "{toxworkdir}")
    .replaceAll(fixture, "{toxinidir}");
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const toxCommands = (lines: string[]) =>
  lines.map((line) => {
    const argv = shlexSplit(line);
    if (argv[0] === "-") return { argv: argv.slice(1), ignoreExitCode: true };
    if (argv[0] === "!") return { argv: argv.slice(1), invertExitCode: true };
    return { argv };
  });

describe.each(envs)("tox env %s", (env) => {
  const tox = readToxConfig((file) => (file === "tox.ini" ? readFileSync(path.join(fixture, file), "utf8") : undefined));
  if (!tox) throw new Error("fixture has no tox.ini");
  const ours = resolveToxEnv(tox, env, { environ });
  const theirs = (key: string) => (toxConfig.get(env)?.get(key) ?? []).map((v) => placeholders(env, v));

  it.each(["commands", "commands_pre", "commands_post"] as const)("%s", (key) => {
    const mine = key === "commands" ? ours.commands : key === "commands_pre" ? ours.commandsPre : ours.commandsPost;
    expect(mine).toEqual(toxCommands(theirs(key)));
  });

  it("set_env", () => {
    const expected = Object.fromEntries(theirs("set_env").filter((l) => !l.startsWith("PYTHONHASHSEED=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(ours.setenv).toEqual(expected);
  });

  it("change_dir", () => {
    const [dir = ""] = theirs("change_dir");
    expect(ours.changedir === "" ? "{toxinidir}" : `{toxinidir}/${ours.changedir}`).toBe(dir);
  });

  it("deps (Django itself left out: the cell's Django wins)", () => {
    const expected = theirs("deps").filter((d) => !isDjangoRequirement(d)).map((d) => d.replace("{toxinidir}/", ""));
    expect(ours.deps).toEqual(expected);
  });

  it("extras, skip_install, ignore_outcome, ignore_errors", () => {
    expect({ extras: ours.extras, skip: ours.skipInstall, outcome: ours.ignoreOutcome, errors: ours.ignoreErrors }).toEqual({
      extras: theirs("extras"),
      skip: theirs("skip_install")[0] === "True",
      outcome: theirs("ignore_outcome")[0] === "True",
      errors: theirs("ignore_errors")[0] === "True",
    });
  });
});
