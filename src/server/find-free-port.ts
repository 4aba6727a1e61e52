import net from "node:net";

/**
 * A port free on `host` right now. Probot's Server treats port 0 as "unset"
 * (and takes 3000), so PORT=0 ("any free port", for tests and side-by-side
 * servers) is resolved here first.
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
