import type Docker from "dockerode";

/**
 * The base image for a Python version from a PONYCI_BASE_IMAGE template:
 * "auto" is `ponyci/python:{python}` when that image exists locally
 * (runner/images/build-base-images.sh made it), else `python:{python}-slim`;
 * any other value is used with {python} replaced by "X.Y".
 */
export async function resolveBaseImage(docker: Docker, template: string, python: string): Promise<string> {
  if (template !== "auto") return template.replaceAll("{python}", python);
  const local = `ponyci/python:${python}`;
  try {
    await docker.getImage(local).inspect();
    return local;
  } catch {
    return `python:${python}-slim`;
  }
}

/** `resolveBaseImage` bound to a daemon and a template (default: PONYCI_BASE_IMAGE, else "auto"). */
export function createBaseImageResolver(docker: Docker, template = process.env.PONYCI_BASE_IMAGE || "auto"): (python: string) => Promise<string> {
  return (python) => resolveBaseImage(docker, template, python);
}
