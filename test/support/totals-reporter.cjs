/**
 * Prints the plain closing line CI reads: "N passed, N failed" (", N skipped"
 * when some were skipped). Jest's own summary stays above it.
 */
class TotalsReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    let line = `${results.numPassedTests} passed, ${failed} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    // Jest prints its own summary after the reporters run: write ours last,
    // so the plain totals line is the run's closing line.
    process.once("exit", () => process.stdout.write(`\n${line}\n`));
  }
}
module.exports = TotalsReporter;
