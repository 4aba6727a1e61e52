/** A minimal EventSource for tests: fetches a stream and collects its events as they arrive. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export function readSse(url: string, headers: Record<string, string> = {}): { events: SseEvent[]; status: Promise<number>; close(): void } {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const status = fetch(url, { headers, signal: controller.signal }).then(async (response) => {
    if (!response.body || response.status !== 200) return response.status;
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: SseEvent = { event: "message", data: "" };
            let data: string[] = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) event.event = line.slice(7);
              else if (line.startsWith("data: ")) data.push(line.slice(6));
              else if (line.startsWith("id: ")) event.id = line.slice(4);
            }
            if (data.length > 0) {
              event.data = data.join("\n");
              events.push(event);
            }
            data = [];
          }
        }
      } catch {
        // aborted
      }
    })();
    return response.status;
  });
  return { events, status, close: () => controller.abort() };
}

/** The log lines carried by `lines` events, in order. */
export function linesOf(events: SseEvent[]): string[] {
  return events.filter((e) => e.event === "lines").flatMap((e) => (JSON.parse(e.data) as { lines: string[] }).lines);
}
