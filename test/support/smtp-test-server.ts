import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  mail: ParsedMail;
}

export interface SmtpTestServer {
  port: number;
  /** smtp://user:password@127.0.0.1:<port>?requireTLS=true */
  url: string;
  /** PEM of the server's self-signed certificate: the client's CA (PONYCI_SMTP_CA). */
  caFile: string;
  received: ReceivedMail[];
  /** Addresses refused at RCPT TO (550). */
  refuse: Set<string>;
  /** "accept" (default), "refuse" (554 at the greeting's next step: every MAIL FROM), "hang" (accept the TCP connection, never greet). */
  mode: "accept" | "refuse" | "hang";
  /** Connections the server saw (hung ones included). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 (nodemailer's smtp-server) that insists
 * on STARTTLS with its own self-signed certificate and on AUTH PLAIN/LOGIN,
 * and keeps every message it accepted, parsed by mailparser.
 */
export async function startSmtpTestServer(options: { user?: string; password?: string; port?: number } = {}): Promise<SmtpTestServer> {
  const user = options.user ?? "ponyci";
  const password = options.password ?? "s3cret-pass";
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-smtp-"));
  const keyFile = path.join(dir, "key.pem");
  const caFile = path.join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", caFile], { stdio: "ignore" });
  const received: ReceivedMail[] = [];
  const refuse = new Set<string>();
  let connections = 0;
  const state = { mode: "accept" as SmtpTestServer["mode"] };
  const smtp = new SMTPServer({
    key: readFileSync(keyFile),
    cert: readFileSync(caFile),
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    closeTimeout: 500,
    // "hang": the greeting never comes (onConnect's callback is never called).
    onConnect(_session, callback) {
      connections++;
      if (state.mode !== "hang") callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(new Error("Invalid username or password"));
    },
    onMailFrom(_address, session, callback) {
      if (!session.secure) return callback(Object.assign(new Error("Must issue a STARTTLS command first"), { responseCode: 530 }));
      if (state.mode === "refuse") return callback(Object.assign(new Error("Service refused: no mail from you"), { responseCode: 554 }));
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address.toLowerCase())) return callback(Object.assign(new Error(`No such user ${address.address}`), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      void simpleParser(stream).then(
        (mail) => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as net.AddressInfo).port;
  return {
    port,
    url: `smtp://${user}:${password}@127.0.0.1:${port}?requireTLS=true`,
    caFile,
    received,
    refuse,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    connections: () => connections,
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
