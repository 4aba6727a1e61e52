import { execa } from "execa";
import { homedir } from "node:os";
import path from "node:path";
import { parseCommandLine, UsageError } from "./parse-command-line.js";
import { imagesCli } from "./images-cli.js";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { DEFAULT_PATH } from "../domain/host-python.js";
import { IMAGES_DIR, listInstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { pythonTitle } from "../domain/python-name.js";
import type { Settings } from "../settings/load-settings.js";

interface Output {
  write(text: string): void;
}

/** `ponyci images`: what the installation's Pythons are, and adding one. Returns the exit code. */
export async function imagesCommand(argv: string[], deps: { settings: Pick<Settings, "dataDir" | "pythonImages">; out: Output; err?: Output }): Promise<number> {
  const parsed = parseCommandLine<{ json?: boolean; from?: string; prefix?: string }>(imagesCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const { options: values, args } = parsed;
  const out = deps.out;
  const imagesCache = path.join(deps.settings.dataDir, "images");
  const [verb, version] = args;
  if (verb === "add") {
    if (!version || !/^(pypy)?3\.\d{1,2}$/.test(version)) throw new UsageError("ponyci images add takes one Python version such as 3.12 or pypy3.11 (see ponyci images --help)");
    if (values.from !== undefined && values.from !== "debian" && values.from !== "host") throw new UsageError(`--from is debian or host, not ${values.from}`);
    const args = [path.join(IMAGES_DIR, "add-python-image.sh"), version];
    if (values.from) args.push("--from", values.from);
    if (values.prefix) args.push("--prefix", path.resolve(values.prefix));
    const build = execa("bash", args, {
      reject: false,
      stdin: "ignore",
      stdout: "ignore",
      extendEnv: false,
      env: { PATH: DEFAULT_PATH, HOME: homedir(), PONYCI_IMAGES_CACHE: imagesCache, LANG: "C.UTF-8" },
    });
    for await (const line of build.iterable({ from: "stderr" })) out.write(`${String(line)}\n`);
    const result = await build;
    return result.exitCode === 0 ? 0 : 1;
  }
  if (verb !== undefined) throw new UsageError(`ponyci images: unknown subcommand ${JSON.stringify(verb)} (see ponyci images --help)`);

  const pythons = await listInstallationPythons({ docker: createDocker(), imagesCache, pythonImages: deps.settings.pythonImages });
  if (values.json) {
    out.write(`${JSON.stringify(pythons, null, 2)}\n`);
    return 0;
  }
  out.write("Base images on this host:\n");
  if (pythons.installed.length === 0) out.write("  none\n");
  for (const image of pythons.installed) {
    out.write(`  ${pythonTitle(image.name).padEnd(12)} ${(image.libc ?? "libc ?").padEnd(12)} ${image.image.padEnd(24)} ${image.origin ?? ""}\n`);
  }
  out.write("Added on a cell's first need (or now with `ponyci images add X.Y` / `pypy3.X`):\n");
  if (pythons.obtainable.length === 0) out.write("  none\n");
  for (const python of pythons.obtainable) out.write(`  ${pythonTitle(python.python).padEnd(12)} from ${python.origin}\n`);
  return 0;
}
