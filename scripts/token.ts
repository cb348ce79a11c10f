// Mints a local JWT for the API:
//   npm run token -- --role Manager --account demo [--role SystemAdministrator] [--sub user] [--expires 1h]
// Signed HS256 with JWT_SECRET (or JWT_SECRET_FILE); without either, with the public demo secret
// (a warning says so: such a token is only good against an engine in demo mode).
//
// HS256 only, on purpose: with JWT_ALGORITHM=RS256 or ES256 the engine holds only the public key,
// and tokens must come from the identity provider that holds the private key (any issuer that
// signs `sub`, `roles` (array), `accountId` and `exp`, plus `iss`/`aud` when the engine checks them).
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { DEMO_JWT_SECRET } from '../src/config.js';
import { ACCOUNT_ID, ROLES } from '../src/services/accounts.js';

export const USAGE = 'usage: npm run token -- --role Manager|SystemAdministrator --account <accountId> [--sub <subject>] [--expires 1h|30m|7d|<seconds>]';

export class TokenArgumentError extends Error {}

export interface Minted {
  token?: string;
  /** Lines for stderr (warnings, notes). */
  notes: string[];
}

type Env = Record<string, string | undefined>;

/** The whole command without its I/O: argv (after the script name) and env in, a token out. */
export function mintToken(argv: string[], env: Env): Minted {
  const notes: string[] = [];
  let values: { role?: string[]; account?: string; sub?: string; expires?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string', multiple: true },
        account: { type: 'string' },
        sub: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new TokenArgumentError(err instanceof Error ? err.message : 'bad arguments');
  }
  if (values.help) return { notes: [USAGE] };
  const algorithm = env.JWT_ALGORITHM ?? 'HS256';
  if (algorithm !== 'HS256') {
    throw new TokenArgumentError(`JWT_ALGORITHM is ${algorithm}: the engine holds only the public key; mint tokens with your identity provider's private key.`);
  }
  const roles = (values.role ?? []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
  if (roles.length === 0) throw new TokenArgumentError('--role is required');
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) notes.push(`note: roles the API does not know: ${unknown.join(', ')} (it requires any of ${ROLES.join(', ')})`);
  const account = values.account;
  if (!account || !ACCOUNT_ID.test(account)) throw new TokenArgumentError('--account is required: letters, digits, _ . - (1 to 64)');
  const expires = values.expires ?? '1h';
  if (!/^\d{1,9}[smhd]?$/.test(expires)) throw new TokenArgumentError('--expires takes a number of seconds or 30m, 1h, 7d');

  let key: string;
  if (env.JWT_SECRET_FILE) key = readFileSync(env.JWT_SECRET_FILE, 'utf8').trim();
  else if (env.JWT_SECRET) key = env.JWT_SECRET;
  else {
    notes.push('WARNING: JWT_SECRET is not set: signing with the PUBLIC demo secret. This token only works against an engine in demo mode.');
    key = DEMO_JWT_SECRET;
  }
  if (key.length < 32) throw new TokenArgumentError('JWT_SECRET must be at least 32 characters');

  const token = jwt.sign({ roles, accountId: account }, key, {
    algorithm: 'HS256',
    subject: values.sub ?? 'local-user',
    expiresIn: (/^\d+$/.test(expires) ? Number(expires) : expires) as jwt.SignOptions['expiresIn'],
    ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
    ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
  });
  return { token, notes };
}

function runCli(): void {
  try {
    const { token, notes } = mintToken(process.argv.slice(2), process.env);
    for (const note of notes) process.stderr.write(`${note}\n`);
    if (token) process.stdout.write(`${token}\n`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${message}\n${USAGE}\n`);
    process.exitCode = err instanceof TokenArgumentError ? 2 : 1;
  }
}

const invokedPath = process.argv[1];
if (invokedPath && realpathSync(invokedPath) === realpathSync(fileURLToPath(import.meta.url))) runCli();
