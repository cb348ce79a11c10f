// One structured logger. Redaction keeps credentials out of every line, including the
// `api_key=user:password` ARI accepts in a URL (the engine itself sends credentials in a header).
import { pino, type Logger } from 'pino';

const SECRET_IN_TEXT = /(api_key=)[^&\s"']+|(Bearer\s+)[A-Za-z0-9._~+/=-]+|(\/\/)[^/@\s:]+:[^/@\s]+@/g;

/** Masks credentials inside free text (URLs, error messages). */
export function scrub(text: string): string {
  return text.replace(SECRET_IN_TEXT, (_m, a?: string, b?: string, c?: string) => `${a ?? b ?? c ?? ''}[redacted]`);
}

/** `level`: a pino level (LOG_LEVEL, read and checked by config.ts). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization', 'req.headers.authorization', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
      },
    },
  });
}

export type { Logger };
