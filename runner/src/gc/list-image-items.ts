import type Docker from "dockerode";
import { LABEL_ENV_KEY } from "../docker/labels.js";
import type { GcItem, GcSource } from "./gc-item.js";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { readUse } from "./record-use.js";

export interface ImageSourceOptions {
  docker: Docker;
  /** Image repositories collected (default ["ponyci/env"]); only images that also carry org.ponyci.env-key. */
  repositories: string[];
  /** Where use marks live, one per tag (recordUse(usedDir, tag)). */
  usedDir: string;
}

/**
 * Environment images: labelled with an environment key, in one of
 * `repositories`. Last use: its use mark (removed with the image), or its
 * creation when it has none yet. In use: any container (running or stopped) was created from it.
 * Bytes: what the image adds to its parent (removing it frees no more).
 * Removing untags each of its tags in `repositories`; Docker frees the
 * layers no other image needs.
 */
export function createImageSource(options: ImageSourceOptions): GcSource {
  const { docker } = options;
  return {
    kind: "image",
    async list() {
      const [all, containers] = await Promise.all([docker.listImages({ all: true }), docker.listContainers({ all: true })]);
      const sizeOf = new Map(all.map((image) => [image.Id, image.Size]));
      const used = new Set(containers.map((c) => c.ImageID));
      const items: GcItem[] = [];
      for (const image of all) {
        if (!image.Labels?.[LABEL_ENV_KEY]) continue;
        const tags = (image.RepoTags ?? []).filter((tag) => options.repositories.includes(tag.slice(0, tag.lastIndexOf(":"))));
        if (tags.length === 0) continue;
        // A mark is removed with its image, so one present is this image's; without one, its creation counts.
        let marked = 0;
        for (const tag of tags) marked = Math.max(marked, await readUse(options.usedDir, useName(tag)));
        const lastUsedMs = marked || image.Created * 1000;
        const parentSize = image.ParentId ? sizeOf.get(image.ParentId) ?? 0 : 0;
        items.push({
          kind: "image",
          id: tags[0]!,
          bytes: Math.max(0, image.Size - parentSize),
          lastUsedMs,
          inUse: used.has(image.Id),
          remove: async () => {
            for (const tag of tags) {
              await docker
                .getImage(tag)
                .remove({ noprune: false })
                .catch((error: { statusCode?: number }) => {
                  if (error.statusCode !== 404) throw error;
                });
              await rm(join(options.usedDir, useName(tag)), { force: true });
            }
          },
        });
      }
      return items;
    },
  };
}

/** The use-mark file name of an image tag ("ponyci/env:abc" → "ponyci_env_abc"). */
export function useName(tag: string): string {
  return tag.replace(/[^A-Za-z0-9._-]/g, "_");
}
