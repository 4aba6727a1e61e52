import type Docker from "dockerode";
import { describeError } from "../../../src/domain/errors.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { DEFAULT_PATH } from "../../../src/domain/host-python.js";

/** The image id, PATH and labels of `name`, pulling it once when missing. */
export async function ensureBaseImage(docker: Docker, name: string, python: string): Promise<{ id: string; path: string; labels?: Record<string, string> }> {
  const described = (info: Docker.ImageInspectInfo) => ({
    id: info.Id,
    path: info.Config?.Env?.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH,
    labels: info.Config?.Labels ?? undefined,
  });
  try {
    return described(await docker.getImage(name).inspect());
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) {
      throw new EnvironmentError("infrastructure", `Docker could not inspect base image ${name}: ${describeError(error)}`, { cause: error });
    }
  }
  try {
    const stream = await docker.pull(name);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    return described(await docker.getImage(name).inspect());
  } catch (error) {
    throw new EnvironmentError(
      "infrastructure",
      `Base image ${name} for Python ${python} is missing and could not be pulled: build it with runner/images/build-base-images.sh ${python}, or set PONYCI_BASE_IMAGE. (${describeError(error)})`,
      { cause: error },
    );
  }
}
