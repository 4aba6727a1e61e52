import type { CellRunner } from "../domain/cell-runner.js";
import type { Metrics } from "./metrics.js";

/** The cell runner, counting environment builds and cache hits from its `started` events. Passes every event on unchanged. */
export function meterCellRunner(cells: CellRunner, metrics: Metrics): CellRunner {
  return {
    runCell(spec, options) {
      const events = cells.runCell(spec, options);
      return (async function* () {
        for await (const event of events) {
          if (event.type === "started" && event.environmentBuilt !== undefined) metrics.countEnvironment(event.environmentBuilt);
          yield event;
        }
      })();
    },
  };
}
