/**
 * Child process of the dashboard benchmark: opens `clients` SSE connections
 * to one URL and exits once every client has received `expected` log lines,
 * printing JSON { ms } (from the first line to the last delivery). Runs apart
 * from the server so the server's CPU time is its own.
 *
 *   node dist/bench/support/sse-clients.js <url> <clients> <expected>
 */
import http from "node:http";

const [url = "", clientsArg = "100", expectedArg = "1000"] = process.argv.slice(2);
const clients = Number(clientsArg);
const expected = Number(expectedArg);
let done = 0;
let first = 0;
const agent = new http.Agent({ keepAlive: false, maxSockets: clients + 1 });
let connected = 0;
for (let i = 0; i < clients; i++) {
  http.get(url, { agent }, (res) => {
    if (++connected === clients) process.stdout.write("connected\n");
    let buffer = "";
    let lines = 0;
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.includes("event: lines")) continue;
        if (first === 0) first = performance.now();
        const data = block.slice(block.indexOf("data: ") + 6);
        lines += (JSON.parse(data) as { lines: string[] }).lines.length;
      }
      if (lines >= expected) {
        res.destroy();
        if (++done === clients) {
          process.stdout.write(`${JSON.stringify({ ms: performance.now() - first })}\n`);
          process.exit(0);
        }
      }
    });
  });
}
