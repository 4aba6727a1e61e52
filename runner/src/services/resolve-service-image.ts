import type Docker from "dockerode";
import type { ServiceSpec } from "../../../src/domain/database.js";
import { describeError } from "../../../src/domain/errors.js";
import { localServiceVersions, officialServiceImages, officialServiceVersions } from "./service-profile.js";
import { serviceError } from "./service-error.js";

/** The image candidates for a service from a PONYCI_SERVICE_IMAGE template, in order of preference. Pure. */
export function listServiceImageCandidates(template: string, service: Pick<ServiceSpec, "name" | "version">): string[] {
  // {service} of a registry's template is the official image's name (postgis → postgis/postgis).
  const fill = (t: string, version: string) => t.replaceAll("{service}", t.startsWith("ponyci/") ? service.name : officialServiceImages[service.name]).replaceAll("{version}", version);
  if (template !== "auto") {
    const version = service.version ?? (template.startsWith("ponyci/") ? localServiceVersions : officialServiceVersions)[service.name];
    return [fill(template, version)];
  }
  // auto: the image built here (runner/images/build-service-images.sh), else the official one.
  return [
    `ponyci/${service.name}:${service.version ?? localServiceVersions[service.name]}`,
    `${officialServiceImages[service.name]}:${service.version ?? officialServiceVersions[service.name]}`,
  ];
}

/**
 * The image a service runs from: the first candidate present on the daemon,
 * else the first one a registry gives within `pullTimeoutMs`.
 * @throws ProjectError or InfrastructureError (serviceError) "project" when the repository asked for a version no
 *   candidate provides, "infrastructure" when even the default is missing.
 */
export async function resolveServiceImage(docker: Docker, template: string, service: Pick<ServiceSpec, "name" | "version">, options: { pullTimeoutMs?: number } = {}): Promise<string> {
  const candidates = listServiceImageCandidates(template, service);
  for (const image of candidates) {
    if (await imageExists(docker, image)) return image;
  }
  const pullable = candidates.filter((image) => !image.startsWith("ponyci/"));
  const problems: string[] = [];
  for (const image of pullable) {
    try {
      await pullImage(docker, image, options.pullTimeoutMs ?? 60_000);
      return image;
    } catch (error) {
      problems.push(`${image}: ${describeError(error)}`);
    }
  }
  const asked = service.version === undefined ? service.name : `${service.name}:${service.version}`;
  const why = `no image for ${asked} on this installation (tried ${candidates.join(", ")}${problems.length ? `; ${problems.join("; ")}` : ""})`;
  if (service.version !== undefined) {
    throw serviceError("project", `The ${service.name} service ${service.version} is not available: ${why}. Leave the version out to use the installation's ${service.name} (${localServiceVersions[service.name]} here), or ask the operator to provide it.`);
  }
  throw serviceError("infrastructure", `The ${service.name} service image is missing: ${why}. Run runner/images/build-service-images.sh on this host.`);
}

async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

async function pullImage(docker: Docker, image: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const pulled = (async () => {
    const stream = (await docker.pull(image)) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
  })();
  try {
    await Promise.race([pulled, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    pulled.catch(() => undefined);
  }
}
