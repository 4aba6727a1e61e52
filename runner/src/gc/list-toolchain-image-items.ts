import type Docker from "dockerode";
import type { GcItem, GcSource } from "../../../src/domain/gc-item.js";

/** The derived images the toolchain builds (create-toolchain-images.ts): named after base image and recipe, rebuilt on demand. */
export const TOOLCHAIN_REPOSITORIES: readonly string[] = ["ponyci/toolchain-build", "ponyci/toolchain-runtime"];

export interface ToolchainImageSourceOptions {
  docker: Docker;
  /** Which images count (tests narrow it to their own tags); default: every tag of {@link TOOLCHAIN_REPOSITORIES}. */
  matches?: (tag: string) => boolean;
}

/**
 * Toolchain images as garbage-collector items (issue 22): each tag of
 * `ponyci/toolchain-build` and `ponyci/toolchain-runtime`, in use while any
 * container (running or only created) was made from it, last used when it
 * or the newest such container was created. `bytes` is the image's size
 * (its own layers and those it shares with the base: an upper bound of what
 * removing it frees). Removal untags by name, never by id, and never forces:
 * a runtime image a build image is derived from stays (Docker refuses),
 * counted as kept, until its build image has gone.
 */
export function createToolchainImageSource(options: ToolchainImageSourceOptions): GcSource {
  const matches = options.matches ?? ((tag: string) => TOOLCHAIN_REPOSITORIES.some((repo) => tag.startsWith(`${repo}:`)));
  return {
    kind: "image",
    async list(): Promise<GcItem[]> {
      const [images, containers] = await Promise.all([
        options.docker.listImages({ filters: JSON.stringify({ reference: TOOLCHAIN_REPOSITORIES.map((repo) => `${repo}:*`) }) }),
        options.docker.listContainers({ all: true }),
      ]);
      const items: GcItem[] = [];
      for (const image of images) {
        const users = containers.filter((c) => c.ImageID === image.Id);
        const lastUsedMs = Math.max(image.Created, ...users.map((c) => c.Created)) * 1000;
        for (const tag of (image.RepoTags ?? []).filter(matches)) {
          items.push({
            kind: "image",
            id: tag,
            bytes: image.Size,
            lastUsedMs,
            inUse: users.length > 0,
            async remove() {
              try {
                await options.docker.getImage(tag).remove();
              } catch (error) {
                if ((error as { statusCode?: number }).statusCode === 404) return;
                throw error;
              }
            },
          });
        }
      }
      return items;
    },
  };
}
