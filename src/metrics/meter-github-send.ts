import { classifyHttpFailure } from "../outbox/classify-http-failure.js";
import type { SendWrite } from "../outbox/outbox.js";
import type { Metrics } from "./metrics.js";

/** The outbox's send, counting each attempt by write kind and outcome (a throw is classified as the outbox will). */
export function meterGitHubSend(send: SendWrite, metrics: Metrics): SendWrite {
  return async (write, context) => {
    try {
      const result = await send(write, context);
      metrics.countGitHubWrite(write.kind, result.status);
      return result;
    } catch (error) {
      metrics.countGitHubWrite(write.kind, classifyHttpFailure(error).status);
      throw error;
    }
  };
}
