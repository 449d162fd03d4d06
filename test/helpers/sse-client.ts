// A reader of server-sent events over fetch, for the /debug/events tests: frames as they arrive.
export interface SseFrame {
  event?: string;
  data?: string;
  /** Comment lines (": keep-alive"). */
  comments: string[];
  retry?: number;
}

export class SseClient {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<string>;
  private readonly controller = new AbortController();
  readonly ready: Promise<Response>;
  private response: Response | undefined;

  constructor(url: string) {
    const stream = new TransformStream<string, string>();
    this.reader = stream.readable.getReader();
    this.ready = fetch(url, { signal: this.controller.signal, headers: { accept: 'text/event-stream' } }).then((response) => {
      this.response = response;
      if (response.body)
        void response.body
          .pipeThrough(new TextDecoderStream())
          .pipeTo(stream.writable)
          .catch(() => {});
      else void stream.writable.close();
      return response;
    });
  }

  /** The next frame; rejects after `timeoutMs` (generous: a loaded machine is slow, never a test of speed). */
  async next(timeoutMs = 20_000): Promise<SseFrame> {
    await this.ready;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseFrame(block);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no server-sent event within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no server-sent event within ${timeoutMs} ms`)), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error('the event stream ended');
      this.buffer += chunk.value;
    }
  }

  /** The next frame of `event` type, skipping comments and others. */
  async nextEvent(event: string, timeoutMs = 20_000): Promise<SseFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (frame.event === event) return frame;
    }
  }

  get status(): number | undefined {
    return this.response?.status;
  }

  close(): void {
    this.controller.abort();
  }
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = { comments: [] };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
    else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    else if (line.startsWith('retry:')) frame.retry = Number(line.slice(6));
  }
  if (data.length) frame.data = data.join('\n');
  return frame;
}
