import { afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";

/** The Docker CLI's variables reach the client as docker-modem reads them; TLS is no longer dropped. */
describe("createDocker", () => {
  const saved = { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_TLS_VERIFY: process.env.DOCKER_TLS_VERIFY, DOCKER_CERT_PATH: process.env.DOCKER_CERT_PATH };
  const dirs: string[] = [];
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const modem = (docker: ReturnType<typeof createDocker>) => docker.modem as unknown as Record<string, unknown>;

  it.each([
    { env: { DOCKER_HOST: "unix:///run/other.sock" }, expected: { socketPath: "/run/other.sock" } },
    { env: { DOCKER_HOST: "tcp://127.0.0.1:2375" }, expected: { host: "127.0.0.1", port: "2375", protocol: "http" } },
    { env: { DOCKER_HOST: "tcp://127.0.0.1:2376" }, expected: { host: "127.0.0.1", port: "2376", protocol: "https" } },
    { env: { DOCKER_HOST: "tcp://127.0.0.1:9999", DOCKER_TLS_VERIFY: "1" }, expected: { host: "127.0.0.1", port: "9999", protocol: "https" } },
  ])("DOCKER_HOST $env.DOCKER_HOST (TLS_VERIFY $env.DOCKER_TLS_VERIFY)", ({ env, expected }) => {
    delete process.env.DOCKER_TLS_VERIFY;
    delete process.env.DOCKER_CERT_PATH;
    Object.assign(process.env, env);
    expect(modem(createDocker())).toMatchObject(expected);
  });

  it("loads the client certificates from DOCKER_CERT_PATH", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-certs-"));
    dirs.push(dir);
    const pem = (label: string) => `-----BEGIN ${label}-----\nMIIB\n-----END ${label}-----\n`;
    writeFileSync(path.join(dir, "ca.pem"), pem("CERTIFICATE"));
    writeFileSync(path.join(dir, "cert.pem"), pem("CERTIFICATE"));
    writeFileSync(path.join(dir, "key.pem"), pem("PRIVATE KEY"));
    Object.assign(process.env, { DOCKER_HOST: "tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir });
    const got = modem(createDocker());
    expect(got.protocol).toBe("https");
    expect(String(got.cert)).toContain("BEGIN CERTIFICATE");
    expect(String(got.key)).toContain("BEGIN PRIVATE KEY");
    expect(got.ca).toBeTruthy();
  });

  it("takes explicit options as they are", () => {
    expect(modem(createDocker({ socketPath: "/tmp/x.sock" }))).toMatchObject({ socketPath: "/tmp/x.sock" });
  });
});
