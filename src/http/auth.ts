// Bearer-token authentication: the algorithm is pinned by configuration (never read from the
// token), `exp` is required, issuer/audience are checked when configured, and the claims are
// type-checked before anything trusts them. Failed attempts are counted per IP before verification.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { ACCOUNT_ID, AccountAccess, ROLES, type Principal } from '../services/accounts.js';
import { IpRateLimiter } from './rate-limit.js';
import type { ClientAddress } from './client-address.js';

export interface AuthContext {
  principal: Principal;
  /** The account this request acts on. */
  accountId: string;
}

const MAX_TOKEN_LENGTH = 8192;
const QUERY_TOKEN_NAMES = ['access_token', 'token', 'jwt', 'bearer', 'authorization', 'id_token'];

function unauthenticated(message: string): AppError {
  return new AppError('unauthenticated', 'Unauthorized', message);
}

/**
 * The verification key, built once: given a string, jsonwebtoken tries to parse it as a PEM key
 * on every request (about 1 ms each). The key's type also pins the family (secret vs public).
 */
function verificationKey(config: Config['jwt']): KeyObject {
  return config.algorithm === 'HS256' ? createSecretKey(Buffer.from(config.key, 'utf8')) : createPublicKey(config.key);
}

function verifyToken(token: string, key: KeyObject, config: Config['jwt']): { principal: Principal; exp: number; nbf: number | undefined } {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key, {
      algorithms: [config.algorithm],
      ...(config.issuer ? { issuer: config.issuer } : {}),
      ...(config.audience ? { audience: config.audience } : {}),
    });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw unauthenticated('Token expired');
    if (err instanceof jwt.NotBeforeError) throw unauthenticated('Token not yet valid');
    throw unauthenticated('Invalid token');
  }
  if (typeof payload === 'string') throw unauthenticated('Invalid token');
  if (typeof payload.exp !== 'number') throw unauthenticated('Token has no expiry (exp is required)');
  const { sub, roles, accountId } = payload as Record<string, unknown>;
  if (typeof sub !== 'string' || sub === '') throw unauthenticated('Token has no subject (sub)');
  if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === 'string')) {
    throw unauthenticated('Token roles must be an array of strings');
  }
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) throw unauthenticated('Token has no valid accountId');
  return { principal: { subject: sub, roles, accountId }, exp: payload.exp, nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined };
}

function requestedAccount(req: IncomingMessage, query: Record<string, unknown>): string | undefined | null {
  const fromQuery = query.accountId;
  const fromHeader = header(req, 'x-account-id');
  if (fromQuery !== undefined && typeof fromQuery !== 'string') return null;
  if (fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader) return null;
  return fromQuery ?? fromHeader;
}

/** A header's value as express's `req.get` gives it (a repeated header is joined by node). */
function header(req: IncomingMessage, name: 'authorization' | 'x-account-id'): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Tokens verified by this process, kept (the oldest leaves first) up to this many. */
const VERIFIED_TOKENS = 500;

/**
 * Tokens already verified, with what verification gave: a client sends the same token on every
 * request, and verifying it (base64, JSON, HMAC or RSA) is a tenth of a cheap request's CPU. The
 * key and the checked claims (algorithm, issuer, audience, subject, roles, account) cannot change
 * for a given token; only time can, so `exp` is checked again on every use (as jsonwebtoken does:
 * expired from the second `exp`) and a token is kept only once its `nbf` has passed.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { principal: Principal; exp: number }>();

  get(token: string): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (Math.floor(Date.now() / 1000) < entry.exp) return entry.principal;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, principal: Principal, exp: number): void {
    if (this.entries.size >= VERIFIED_TOKENS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { principal, exp });
  }
}

/** Who the request acts as, from its bearer token; throws the API's 401/403/429/400 otherwise. */
export type Authenticate = (req: IncomingMessage, res: ServerResponse, query: Record<string, unknown>) => Promise<AuthContext>;

export function authenticator(config: Config, accounts: AccountAccess, limiter: IpRateLimiter, clientAddress: ClientAddress): Authenticate {
  const key = verificationKey(config.jwt);
  const verified = new VerifiedTokens();
  return async (req, res, query) => {
    const ip = clientAddress(req);
    const fail = (err: AppError): AppError => {
      limiter.hit(ip);
      res.setHeader('WWW-Authenticate', 'Bearer');
      return err;
    };
    const retry = limiter.blockedFor(ip);
    if (retry !== undefined) {
      throw new AppError('rate-limited', 'TooManyRequests', 'Too many unauthenticated requests from this address', [], retry);
    }
    if (QUERY_TOKEN_NAMES.some((name) => query[name] !== undefined)) {
      throw fail(unauthenticated('Tokens are accepted in the Authorization header only, never in the query string'));
    }
    const authorization = header(req, 'authorization');
    if (!authorization) throw fail(unauthenticated('Authentication required: Authorization: Bearer <token>'));
    const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(authorization.trim());
    const token = match?.[1];
    if (!token || token.length > MAX_TOKEN_LENGTH) throw fail(unauthenticated('Authorization must be "Bearer <token>"'));
    let principal = verified.get(token);
    if (principal === undefined) {
      try {
        const checked = verifyToken(token, key, config.jwt);
        principal = checked.principal;
        if (checked.nbf === undefined || checked.nbf <= Math.floor(Date.now() / 1000)) verified.set(token, principal, checked.exp);
      } catch (err) {
        throw fail(err as AppError);
      }
    }
    if (!principal.roles.some((r) => (ROLES as readonly string[]).includes(r))) {
      throw new AppError('forbidden', 'Forbidden', `Requires any of the roles: ${ROLES.join(', ')}`);
    }
    const requested = requestedAccount(req, query);
    if (requested === null) {
      throw AppError.validation([{ fieldName: 'accountId', errorCode: 'InvalidAccountId', message: 'Name one account: ?accountId= and X-Account-Id disagree or repeat' }]);
    }
    return { principal, accountId: await accounts.resolve(principal, requested) };
  };
}

/** Express middleware (every path no operation serves: an unknown path still needs a token first). */
export function authenticate(auth: Authenticate) {
  return (req: Request, res: Response, next: NextFunction): void => {
    auth(req, res, req.query as Record<string, unknown>).then((context) => {
      res.locals.auth = context;
      next();
    }, next);
  };
}
