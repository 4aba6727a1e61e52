import type Docker from "dockerode";

/**
 * The Python versions this Docker host can run: those with a local base
 * image `ponyci/python:X.Y` (runner/images/build-base-images.sh). A runner
 * advertises them and takes only cells of those versions.
 */
export async function detectPythons(docker: Docker, repository = "ponyci/python"): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [repository] } });
  const versions = new Set<string>();
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      const match = /:(3\.\d{1,2})$/.exec(tag);
      if (tag.startsWith(`${repository}:`) && match?.[1]) versions.add(match[1]);
    }
  }
  return [...versions].sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}
