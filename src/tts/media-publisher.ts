// Generated audio made reachable by Asterisk: published under an unguessable name that expires
// (`/media/<name>.wav` on the engine's HTTP port, behind MEDIA_PUBLIC_BASE_URL; no token needed,
// nothing but published files served there), or written under a sounds directory Asterisk shares.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const MEDIA_PATH = '/media';
const NAME = /^[A-Za-z0-9_-]{22,64}$/;

export interface Published { file: string; expires: number }

export class MediaPublisher {
  private names = new Map<string, Published>();
  /** The live name of each file: republishing reuses it, so Asterisk's media cache can hit. */
  private byFile = new Map<string, string>();

  constructor(
    /** Read per publication: the default base is known only once the HTTP port is listening. */
    private readonly publicBaseUrl: () => string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh name for `file`; the URL Asterisk plays as `sound:<url>`. */
  publish(file: string): string {
    this.prune();
    const now = this.now();
    let name = this.byFile.get(file);
    // Reused while at least half its life is left: a call never gets a name about to expire.
    if (name === undefined || (this.names.get(name)?.expires ?? 0) - now < this.ttlMs / 2) {
      name = randomBytes(18).toString('base64url');
      this.names.set(name, { file, expires: now + this.ttlMs });
      this.byFile.set(file, name);
    }
    return `${this.publicBaseUrl().replace(/\/+$/, '')}${MEDIA_PATH}/${name}.wav`;
  }

  /** The file behind `<name>.wav` while it has not expired. */
  lookup(fileName: string): string | undefined {
    const m = /^(.+)\.wav$/.exec(fileName);
    if (!m || !NAME.test(m[1]!)) return undefined;
    const entry = this.names.get(m[1]!);
    if (!entry || entry.expires <= this.now()) return undefined;
    return entry.file;
  }

  private prune(): void {
    const now = this.now();
    for (const [name, entry] of this.names) {
      if (entry.expires > now) continue;
      this.names.delete(name);
      if (this.byFile.get(entry.file) === name) this.byFile.delete(entry.file);
    }
  }
}

/** Shared-directory delivery: the file copied under Asterisk's sounds path, played as `sound:<prefix>/<key>`. */
export class SoundsDirectory {
  constructor(private readonly dir: string, private readonly prefix: string) {}

  async place(file: string, key: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    await copyFile(file, join(this.dir, `${key}.wav`));
    return `${this.prefix.replace(/\/+$/, '')}/${key}`;
  }
}
