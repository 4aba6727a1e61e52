import Docker from "dockerode";

/**
 * The one place a Dockerode client is made. Without options, docker-modem
 * reads the Docker CLI's own variables, as `docker` does: `DOCKER_HOST`
 * (unix://, tcp://, ssh://, npipe://; unset: the local socket),
 * `DOCKER_TLS_VERIFY=1` or port 2376 for TLS, `DOCKER_CERT_PATH` for ca.pem,
 * cert.pem and key.pem. Not read by our settings: the library's handling
 * (TLS and ssh included) is the convention operators know.
 */
export function createDocker(options?: Docker.DockerOptions): Docker {
  return options ? new Docker(options) : new Docker();
}
