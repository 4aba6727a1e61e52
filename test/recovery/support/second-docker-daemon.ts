/**
 * A second, private Docker daemon for a test that restarts "the" daemon:
 * other test files keep using the main one. Its own socket, data root, exec
 * root and pid file under one temporary directory; no bridge, no iptables,
 * no networks (containers run with --network none anyway).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";

export interface SecondDockerDaemon {
  /** unix://…/docker.sock: DOCKER_HOST for clients of this daemon. */
  readonly host: string;
  readonly dir: string;
  /** PID of the running dockerd (changes on restart). */
  pid(): number | undefined;
  /** Copies images from the main daemon (docker save | docker load). */
  loadImages(images: string[]): Promise<void>;
  /** SIGTERM, wait for the exit, start again, wait until it answers. */
  restart(): Promise<void>;
  /** Stops the daemon (SIGKILL after `ms`), its containerd, unmounts and removes everything. Safe to call twice. */
  dispose(): Promise<void>;
  /** The daemon's log (for failure messages). */
  log(): string;
}

const READY_MS = 60_000;
const STOP_MS = 60_000;

/** Starts a private dockerd and waits until it answers. Needs root (like the main daemon). */
export async function startSecondDockerDaemon(): Promise<SecondDockerDaemon> {
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-dockerd-"));
  const socket = path.join(dir, "docker.sock");
  const host = `unix://${socket}`;
  const logFile = path.join(dir, "dockerd.log");
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const out = openSync(logFile, "a");
    child = spawn(
      "dockerd",
      [
        "--host", host,
        "--data-root", path.join(dir, "data"),
        "--exec-root", path.join(dir, "exec"),
        "--pidfile", path.join(dir, "docker.pid"),
        "--bridge=none", "--iptables=false", "--ip6tables=false",
        // Containers still running at shutdown are stopped after 1 s (not the default 15 s).
        "--shutdown-timeout", "1",
      ],
      { stdio: ["ignore", out, out] },
    );
    closeSync(out);
    const current = child;
    exited = new Promise((resolve) => current.once("exit", () => resolve()));
    const until = Date.now() + READY_MS;
    for (;;) {
      const ping = await execa("docker", ["version", "--format", "{{.Server.Version}}"], { env: { DOCKER_HOST: host }, reject: false, timeout: 5_000 });
      if (ping.exitCode === 0) return;
      if (current.exitCode !== null) throw new Error(`the second dockerd exited at start:\n${readLog()}`);
      if (Date.now() > until) throw new Error(`the second dockerd did not answer within ${READY_MS} ms:\n${readLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const readLog = (): string => {
    try {
      // Warnings and errors only: the info lines are containerd's plugin list.
      return readFileSync(logFile, "utf8").split("\n").filter((line) => !/level=(info|debug)/.test(line) || /signal|shutdown|[Ss]top|[Kk]ill|API listen|completed init/.test(line)).slice(-40).join("\n");
    } catch {
      return "";
    }
  };

  const stop = async (): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_MS)))]);
    clearTimeout(timer);
    if (!stopped) {
      current.kill("SIGKILL");
      await exited;
    }
  };

  /** containerd started by our dockerd (it normally stops with it; after a SIGKILL it would not). */
  const stopContainerd = async (): Promise<void> => {
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(dir, "exec", "containerd", "containerd.pid"), "utf8").trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0) return;
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return "";
      }
    })();
    // Only if that pid is still our containerd (its config lives in our exec root).
    if (!cmdline.includes(dir)) return;
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && existsProcess(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    if (existsProcess(pid)) process.kill(pid, "SIGKILL");
  };

  let disposed = false;
  await launch().catch(async (error: unknown) => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    host,
    dir,
    pid: () => child?.pid,
    async loadImages(images) {
      for (const image of images) {
        // From the main daemon (this process's DOCKER_HOST, usually the default socket) into this one.
        await execa("bash", ["-o", "pipefail", "-c", 'docker save "$1" | DOCKER_HOST="$2" docker load -q', "load", image, host]);
      }
    },
    async restart() {
      await stop();
      await launch();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      // Containers first, so that the shutdown is quick.
      const ids = await execa("docker", ["ps", "-aq"], { env: { DOCKER_HOST: host }, reject: false });
      if (ids.exitCode === 0 && ids.stdout.trim()) await execa("docker", ["rm", "-f", "-v", ...ids.stdout.split("\n").filter(Boolean)], { env: { DOCKER_HOST: host }, reject: false });
      await stop();
      await stopContainerd();
      // dockerd unmounts its data root on a clean stop; after a kill, mounts may remain.
      const mounts = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .map((line) => line.split(" ")[1] ?? "")
        .filter((mount) => mount.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      for (const mount of mounts) await execa("umount", ["-l", mount], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
}

function existsProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
