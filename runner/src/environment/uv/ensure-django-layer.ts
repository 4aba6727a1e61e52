import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { describeError } from "../../../../src/domain/errors.js";
import { buildEnvironmentImage } from "../build-environment-image.js";
import { ENVIRONMENT_BUILDER_VERSION } from "../compute-environment-key.js";
import { EnvironmentError } from "../environment-error.js";
import type { BuildContainerLimits } from "../run-build-container.js";

/** Repository of the middle layer: base image + a venv with Django (and its dependencies) only. */
export const LAYER_IMAGE_REPO = "ponyci/env-layer";

export interface DjangoLayerRequest {
  docker: Docker;
  baseImage: string;
  baseImageId: string;
  python: string;
  django: string;
  /** The Django wheel's file name in `wheelsDir` (which holds its dependencies too). */
  djangoWheel: string;
  wheelsDir: string;
  uv: string;
  limits: BuildContainerLimits;
  salt?: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * What changes least goes lowest: the image `ponyci/env-layer:<key>` holds
 * /opt/venv with one Django release installed (uv, offline), keyed by the
 * hash of the base image id, the Python, the Django wheel and the builder
 * version. Every project's environment on that base and Django is committed
 * on top of it, so a new requirement rebuilds only the project's layer.
 * Concurrent calls for one key build once. Resolves the layer's image name
 * and whether this call built it.
 */
export function createDjangoLayers(): { ensure(request: DjangoLayerRequest): Promise<{ image: string; built: boolean }> } {
  const inflight = new Map<string, Promise<{ image: string; built: boolean }>>();
  return {
    ensure(request) {
      const key = createHash("sha256")
        .update(JSON.stringify([ENVIRONMENT_BUILDER_VERSION, "django-layer", request.salt ?? "", request.baseImageId, request.python, request.django, request.djangoWheel]))
        .digest("hex");
      const image = `${LAYER_IMAGE_REPO}:${key}`;
      let pending = inflight.get(key);
      if (pending) return pending.then((r) => ({ ...r, built: false }));
      pending = (async () => {
        try {
          await request.docker.getImage(image).inspect();
          return { image, built: false };
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 404) {
            throw new EnvironmentError("infrastructure", `Docker could not inspect ${image}: ${describeError(error)}`, { cause: error });
          }
        }
        await buildEnvironmentImage(request.docker, {
          baseImage: request.baseImage,
          key,
          python: request.python,
          django: request.django,
          wheelsDir: request.wheelsDir,
          files: [request.djangoWheel],
          limits: request.limits,
          signal: request.signal,
          onLine: request.onLine,
          uv: request.uv,
          repository: LAYER_IMAGE_REPO,
        });
        return { image, built: true };
      })().finally(() => inflight.delete(key));
      inflight.set(key, pending);
      return pending;
    },
  };
}
