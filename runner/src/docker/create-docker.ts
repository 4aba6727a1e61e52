import Docker from "dockerode";

/**
 * The one place a Dockerode client is made. DOCKER_HOST (tcp:// or unix://)
 * picks another daemon; default is the local socket.
 */
export function createDocker(dockerHost = process.env.DOCKER_HOST): Docker {
  if (!dockerHost) return new Docker({ socketPath: "/var/run/docker.sock" });
  const url = new URL(dockerHost);
  if (url.protocol === "unix:") return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === "https:" ? "https" : "http" });
}
