import { timingSafeEqual } from "node:crypto";
import { BridgeRequestError } from "./bridge-request-error.js";
import { signBridgePayload } from "./sign-bridge-payload.js";

export interface VerifyBridgeSignatureInput {
  secret: string;
  /** The X-PonyCI-Timestamp header as received. */
  timestamp: string | undefined;
  /** The X-PonyCI-Signature header as received. */
  signature: string | undefined;
  body: Buffer;
  /** Server time in ms. */
  nowMs: number;
  maxSkewSec: number;
}

/**
 * Authenticates a notification: the signature must be the HMAC of
 * `<timestamp>.<body>` (compared in constant time) and the timestamp within
 * `maxSkewSec` of the server's clock. Pure.
 * @throws BridgeRequestError 401 with what to fix
 */
export function verifyBridgeSignature(input: VerifyBridgeSignatureInput): void {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) {
    throw new BridgeRequestError(401, "unsigned request: the X-PonyCI-Timestamp and X-PonyCI-Signature headers are required (install the hook with `ponyci hook install`)");
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new BridgeRequestError(401, "bad X-PonyCI-Timestamp: it must be unix seconds");
  if (!/^sha256=[0-9a-f]{64}$/.test(signature)) throw new BridgeRequestError(401, "bad X-PonyCI-Signature: it must be sha256=<64 hex digits>");
  const expected = Buffer.from(signBridgePayload(input.secret, timestamp, input.body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new BridgeRequestError(401, "bad signature: the hook's secret file does not match this repository's secret on the server");
  }
  const skewSec = Math.round(Math.abs(input.nowMs / 1000 - Number(timestamp)));
  if (skewSec > input.maxSkewSec) {
    throw new BridgeRequestError(401, `stale request: its timestamp is ${skewSec} s away from the server's clock (at most ${input.maxSkewSec} s): check the clocks of the git server and the Pony CI server (NTP)`);
  }
}
