import { createHmac } from "node:crypto";

/**
 * The signature the hook sends: `sha256=` + hex HMAC-SHA256 of
 * `<timestamp>.<body>` under the repository's secret. Pure.
 */
export function signBridgePayload(secret: string, timestamp: string, body: Buffer | string): string {
  const mac = createHmac("sha256", secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest("hex")}`;
}
