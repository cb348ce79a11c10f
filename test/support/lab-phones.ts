// The lab phones as the scenarios drive them: phone1 answers every call by itself, phone2 dials
// into the engine and answers, rejects or ignores the calls that reach it. Against a real
// Asterisk, two baresip 1.0.0 phones controlled over ctrl_tcp (JSON in netstrings: docs/lab.md);
// against the simulator, its control API stands in for them (scenarios-sim.test.ts).
import { connect, type Socket } from 'node:net';

/** What phone2 does with the next call that reaches it. */
export type IncomingBehaviour = 'answer' | 'reject' | 'ignore';

export interface LabPhones {
  /** phone2 dials `digits` (a number of [from-phones] in extensions.conf). */
  dial(digits: string): Promise<void>;
  /** phone2 treats the next incoming call this way; resolves once armed. */
  onNextCall(behaviour: IncomingBehaviour): Promise<void>;
  /** phone2 hangs up whatever call it has. */
  hangup(): Promise<void>;
  close(): Promise<void>;
}

interface BaresipMessage { response?: boolean; ok?: boolean; data?: string; token?: string; event?: boolean; type?: string }

/** One ctrl_tcp connection to a baresip: commands with their replies, and the events it pushes. */
export class BaresipControl {
  private buffer = Buffer.alloc(0);
  private readonly waiting = new Map<string, (m: BaresipMessage) => void>();
  private readonly listeners = new Set<(m: BaresipMessage) => void>();
  private seq = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** `address`: host:port of the phone's ctrl_tcp_listen. */
  static open(address: string, timeoutMs = 5000): Promise<BaresipControl> {
    const [host, port] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`baresip ctrl_tcp at ${address}: no connection within ${timeoutMs} ms`)); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(new BaresipControl(socket)); });
      socket.once('error', (err) => { clearTimeout(timer); reject(new Error(`baresip ctrl_tcp at ${address}: ${err.message}`)); });
    });
  }

  command(command: string, params = '', timeoutMs = 5000): Promise<BaresipMessage> {
    const token = `scenario-${++this.seq}`;
    const json = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(token); reject(new Error(`baresip did not answer "${command} ${params}" within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiting.set(token, (m) => { clearTimeout(timer); resolve(m); });
      this.socket.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Resolves with the first pushed event of `type` (CALL_INCOMING, CALL_CLOSED, …). */
  nextEvent(type: string, timeoutMs: number): Promise<BaresipMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.listeners.delete(listen); reject(new Error(`baresip sent no ${type} within ${timeoutMs} ms`)); }, timeoutMs);
      const listen = (m: BaresipMessage): void => {
        if (m.event && m.type === type) { clearTimeout(timer); this.listeners.delete(listen); resolve(m); }
      };
      this.listeners.add(listen);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + length + 1) return;
      const payload = this.buffer.subarray(colon + 1, colon + 1 + length).toString();
      this.buffer = this.buffer.subarray(colon + 1 + length + 1);
      let message: BaresipMessage;
      try {
        message = JSON.parse(payload) as BaresipMessage;
      } catch {
        continue;
      }
      if (message.response && message.token) this.waiting.get(message.token)?.(message);
      for (const l of [...this.listeners]) l(message);
    }
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** phone2 of a real lab, through its ctrl_tcp (LAB_PHONE2_CTRL, e.g. 127.0.0.1:4442). */
export async function baresipPhones(phone2Address: string): Promise<LabPhones> {
  const phone = await BaresipControl.open(phone2Address);
  let armed: Promise<void> | undefined;
  return {
    async dial(digits) {
      const reply = await phone.command('dial', digits);
      if (!reply.ok) throw new Error(`phone2 refused to dial ${digits}: ${reply.data ?? ''}`);
    },
    async onNextCall(behaviour) {
      await armed;
      const incoming = phone.nextEvent('CALL_INCOMING', 60_000);
      armed = incoming.then(async () => {
        if (behaviour === 'answer') await phone.command('accept');
        else if (behaviour === 'reject') await phone.command('hangup');
      }, () => undefined);
      // A rejection surfaces through the scenario's own assertions (the dial's outcome).
      armed.catch(() => undefined);
    },
    async hangup() {
      await phone.command('hangup');
    },
    async close() {
      phone.close();
    },
  };
}

/**
 * phone2 played by the simulator at `url` (its control API): a dial is a call that comes in from
 * PJSIP/phone2 with the arguments [from-phones] → [test-inbound] gives the scenarios' application;
 * how phone2 treats a call is its callee script (486 busy for a rejection, as baresip answers).
 */
export function simulatorPhones(url: string, app: string): LabPhones {
  const control = async (method: string, path: string, body: unknown): Promise<void> => {
    const res = await fetch(new URL(path, url), { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${text}`);
  };
  return {
    async dial(digits) {
      const number = digits.replace(/^9/, '');
      await control('POST', '/sim/inbound', {
        from: 'PJSIP/phone2', exten: number, app, args: ['inbound', number, '1002'], callerId: '"Lab Phone 2" <1002>',
      });
    },
    async onNextCall(behaviour) {
      const script = behaviour === 'answer' ? { result: 'answer', answerAfterMs: 500 }
        : behaviour === 'reject' ? { result: 'busy', answerAfterMs: 500 } : { result: 'no-answer' };
      await control('PUT', `/sim/callees/${encodeURIComponent('PJSIP/phone2')}`, script);
    },
    // The simulator's calls end by themselves (the engine's hangup, the dial's ring time).
    async hangup() {},
    async close() {},
  };
}
