// Mints a local JWT for the API:
//   npm run token -- --role Manager --account demo [--role SystemAdministrator] [--sub user] [--expires 1h]
// Signed HS256 with JWT_SECRET (or JWT_SECRET_FILE); without either, with the public demo secret
// (a warning says so: such a token is only good against an engine in demo mode).
//
// HS256 only, on purpose: with JWT_ALGORITHM=RS256 or ES256 the engine holds only the public key,
// and tokens must come from the identity provider that holds the private key (any issuer that
// signs `sub`, `roles` (array), `accountId` and `exp`, plus `iss`/`aud` when the engine checks them).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { DEMO_JWT_SECRET } from '../src/config.js';
import { ACCOUNT_ID, ROLES } from '../src/services/accounts.js';

const USAGE = 'usage: npm run token -- --role Manager|SystemAdministrator --account <accountId> [--sub <subject>] [--expires 1h|30m|7d|<seconds>]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exitCode = 2;
  throw new Error(message);
}

function secret(): string {
  const file = process.env.JWT_SECRET_FILE;
  if (file) return readFileSync(file, 'utf8').trim();
  const value = process.env.JWT_SECRET;
  if (value) return value;
  process.stderr.write('WARNING: JWT_SECRET is not set: signing with the PUBLIC demo secret. This token only works against an engine in demo mode.\n');
  return DEMO_JWT_SECRET;
}

function main(): void {
  let values: { role?: string[]; account?: string; sub?: string; expires?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string', multiple: true },
        account: { type: 'string' },
        sub: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : 'bad arguments');
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const algorithm = process.env.JWT_ALGORITHM ?? 'HS256';
  if (algorithm !== 'HS256') {
    fail(`JWT_ALGORITHM is ${algorithm}: the engine holds only the public key; mint tokens with your identity provider's private key.`);
  }
  const roles = (values.role ?? []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
  if (roles.length === 0) fail('--role is required');
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) process.stderr.write(`note: roles the API does not know: ${unknown.join(', ')} (it requires any of ${ROLES.join(', ')})\n`);
  const account = values.account;
  if (!account || !ACCOUNT_ID.test(account)) fail('--account is required: letters, digits, _ . - (1 to 64)');
  const expires = values.expires ?? '1h';
  if (!/^\d{1,9}[smhd]?$/.test(expires)) fail('--expires takes a number of seconds or 30m, 1h, 7d');
  const key = secret();
  if (key.length < 32) fail('JWT_SECRET must be at least 32 characters');

  const token = jwt.sign({ roles, accountId: account }, key, {
    algorithm: 'HS256',
    subject: values.sub ?? 'local-user',
    expiresIn: (/^\d+$/.test(expires) ? Number(expires) : expires) as jwt.SignOptions['expiresIn'],
    ...(process.env.JWT_ISSUER ? { issuer: process.env.JWT_ISSUER } : {}),
    ...(process.env.JWT_AUDIENCE ? { audience: process.env.JWT_AUDIENCE } : {}),
  });
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch {
  process.exitCode ||= 1;
}
