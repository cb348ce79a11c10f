// The text/event-stream format as the console reads it (id/event/data/retry fields; comment lines,
// the engine's heartbeats, are skipped). No DOM: unit-tested under Node.

export interface StreamEvent {
  id: string;
  event: string;
  data: string;
}

/** Splits a text/event-stream into events; `feed` takes decoded text in any chunking. */
export class EventStreamParser {
  private buffer = '';
  private id = '';
  private event = '';
  private data: string[] = [];
  /** The last `id:` seen, kept across events (what Last-Event-ID sends back). */
  lastEventId = '';
  retryMs: number | undefined;

  constructor(private readonly emit: (e: StreamEvent) => void) {}

  /** A chunk ended with \r: a \n starting the next one is the rest of that line ending. */
  private skipLf = false;

  feed(text: string): void {
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = false;
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      if (m[0] === '\r' && this.buffer === '') this.skipLf = true;
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        this.emit({ id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.data.push(value);
    else if (name === 'event') this.event = value;
    else if (name === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (name === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
