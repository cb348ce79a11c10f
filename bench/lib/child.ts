// Child processes of the benchmark: spawned with an IPC channel (request/reply by id), optionally
// pinned to one CPU with `taskset`, their output kept (last lines) to explain a failure.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildOptions {
  name: string;
  /** Node arguments: flags, then the script. */
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** CPU to pin the process to (taskset -c), or undefined. */
  cpu?: number;
}

type Message = Record<string, unknown>;

export class Child {
  readonly proc: ChildProcess;
  readonly name: string;
  private readonly tail: string[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, (msg: Message) => void>();
  private readonly exited: Promise<number | null>;
  private readyMessage: Promise<Message>;
  lines = 0;

  constructor(opts: ChildOptions) {
    this.name = opts.name;
    const node = [process.execPath, ...opts.args];
    const [command, ...args] = opts.cpu === undefined ? node : ['taskset', '-c', String(opts.cpu), ...node];
    this.proc = spawn(command ?? process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.lines++;
        this.tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
        if (this.tail.length > 30) this.tail.shift();
      }
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    this.readyMessage = new Promise((resolve, reject) => {
      this.proc.on('message', (raw: unknown) => {
        const msg = raw as Message;
        if (msg.type === 'ready') resolve(msg);
        const id = typeof msg.id === 'number' ? msg.id : undefined;
        const done = id === undefined ? undefined : this.waiting.get(id);
        if (id !== undefined && done) {
          this.waiting.delete(id);
          done(msg);
        }
      });
      void this.exited.then((code) => reject(new Error(`${this.name} exited (code ${code}) before it was ready:\n${this.output()}`)));
    });
    // A ready promise nobody awaits (the engine reports readiness over HTTP) must not be unhandled.
    this.readyMessage.catch(() => undefined);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  ready(timeoutMs = 60000): Promise<Message> {
    return withTimeout(this.readyMessage, timeoutMs, `${this.name} not ready after ${timeoutMs} ms`);
  }

  /** Sends a command and resolves with the reply carrying the same id. */
  call<T extends Message>(msg: Message, timeoutMs = 120000): Promise<T> {
    const id = this.nextId++;
    const reply = new Promise<Message>((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.exited.then(() => reject(new Error(`${this.name} exited:\n${this.output()}`)));
    });
    this.proc.send({ ...msg, id });
    return withTimeout(reply, timeoutMs, `${this.name}: no reply to ${JSON.stringify(msg)} after ${timeoutMs} ms`) as Promise<T>;
  }

  output(): string {
    return this.tail.map((l) => `  [${this.name}] ${l}`).join('\n');
  }

  /** Asks politely (IPC disconnect, or a signal), then kills after `graceMs`. */
  async stop(signal: NodeJS.Signals | 'disconnect' = 'disconnect', graceMs = 5000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (signal === 'disconnect') {
      if (this.proc.connected) this.proc.disconnect();
    } else {
      this.proc.kill(signal);
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
