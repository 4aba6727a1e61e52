/** Resolves after `ms` without keeping the process alive (for bounded waits in races). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
