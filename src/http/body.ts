// Request bodies: JSON or XML only, size-capped before they are read, depth-capped before they are
// parsed, then walked once so that no use case ever sees prototype keys, huge strings or control
// characters. The result lands in `res.locals.body`: JSON as parsed and inspected; XML as its parsed
// tree, which the binding types by the request DTO and inspects the same way (`operations/bind.ts`).
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, type FieldError } from '../domain/errors.js';
import { parseXmlBody, type ParsedXml } from './xml.js';
import { closeLingering } from './linger.js';

export interface BodyLimits {
  maxBodyBytes: number;
  maxDepth: number;
  maxStringLength: number;
}

export const DEFAULT_BODY_LIMITS: Omit<BodyLimits, 'maxBodyBytes'> = { maxDepth: 32, maxStringLength: 4096 };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** C0/C1 controls, and the invisible bidirectional/format characters used to disguise text. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

/** Half of a UTF-16 pair: JSON's `\ud800` escape can smuggle one in; it is not text. */
const LONE_SURROGATE = /\p{Surrogate}/u;

type BodyKind = 'json' | 'xml';

function bodyKind(contentType: string | undefined): BodyKind | 'other' | 'none' {
  if (!contentType) return 'none';
  const [type = '', ...params] = contentType.toLowerCase().split(';').map((s) => s.trim());
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return 'other';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  return 'other';
}

function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** JSON nesting by a linear scan, so `[[[[…` is refused before JSON.parse recurses into it. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Walks a parsed body: structural problems throw, field problems are collected. */
export function inspectValue(value: unknown, limits: Omit<BodyLimits, 'maxBodyBytes'>): FieldError[] {
  const errors: FieldError[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > limits.maxDepth) {
      throw new AppError('validation', 'TooDeep', `Nesting deeper than ${limits.maxDepth} levels is not accepted`);
    }
    if (typeof v === 'string') {
      const field = path || 'body';
      if (v.length > limits.maxStringLength) {
        errors.push({ fieldName: field, errorCode: 'MaxLength', message: `${field} is longer than ${limits.maxStringLength} characters` });
      } else if (CONTROL.test(v) || LONE_SURROGATE.test(v)) {
        errors.push({ fieldName: field, errorCode: 'InvalidCharacters', message: `${field} contains control or invisible formatting characters` });
      }
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`, depth + 1));
      return;
    }
    if (typeof v === 'object' && v !== null) {
      for (const key of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(key)) {
          throw new AppError('validation', 'ForbiddenProperty', `Property name "${key}" is not accepted`);
        }
        if (key.length > 128 || CONTROL.test(key)) {
          throw new AppError('validation', 'InvalidPropertyName', 'A property name is too long or contains control characters');
        }
        walk((v as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1);
      }
    }
  };
  walk(value, '', 0);
  return errors;
}

export interface ParsedBody {
  kind: BodyKind;
  /** The JSON value (undefined for XML: the binding converts `xml.node` by the request DTO). */
  value: unknown;
  /** Set for XML bodies: the root element, its namespace and its parsed tree. */
  xml?: ParsedXml;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseBodyText(kind: BodyKind, text: string, limits: Omit<BodyLimits, 'maxBodyBytes'>): ParsedBody {
  if (kind === 'xml') {
    return { kind, value: undefined, xml: parseXmlBody(text, limits.maxDepth) };
  }
  if (jsonDepth(text) > limits.maxDepth) {
    throw new AppError('validation', 'TooDeep', `JSON nesting deeper than ${limits.maxDepth} levels is not accepted`);
  }
  try {
    return { kind, value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new AppError('validation', 'MalformedJson', `Malformed JSON: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
  }
}

/**
 * Answers `err` for a body the engine will not read (any size), and closes the connection without
 * losing the answer: at once, with `Connection: close`, then a lingering close (http/linger.ts).
 */
function refuse(req: Request, res: Response, next: NextFunction, err: AppError): void {
  res.set('Connection', 'close');
  closeLingering(req);
  next(err);
}

/**
 * Reads the body into `req.body` (a Buffer), at most `maxBytes`: beyond that (a chunked body, or a
 * Content-Length that lied) reading stops and the 413 goes out at once. Compressed bodies are refused.
 */
function readBounded(req: Request, res: Response, next: NextFunction, maxBytes: number): void {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    refuse(req, res, next, new AppError('unsupported-media', 'UnsupportedMediaType', 'Compressed bodies are not accepted'));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (err?: AppError): void => {
    if (done) return;
    done = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    if (err) {
      refuse(req, res, next, err);
      return;
    }
    req.body = Buffer.concat(chunks, size);
    next();
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > maxBytes) finish(new AppError('payload-too-large', 'PayloadTooLarge', `Bodies are limited to ${maxBytes} bytes`));
    else chunks.push(chunk);
  };
  const onEnd = (): void => finish();
  // An aborted upload: nobody is left to answer.
  const onError = (): void => {
    done = true;
    req.socket.destroy();
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('error', onError);
}

/**
 * Reads, parses and inspects the body of POST/PUT/PATCH requests into `res.locals.body`
 * (`ParsedBody`, or undefined when the request has no body).
 */
export function bodyReader(limits: BodyLimits): express.RequestHandler[] {
  const gate = (req: Request, res: Response, next: NextFunction): void => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method) || !hasBody(req)) {
      next();
      return;
    }
    const kind = bodyKind(req.get('content-type'));
    if (kind === 'other' || kind === 'none') {
      refuse(req, res, next, new AppError('unsupported-media', 'UnsupportedMediaType', 'Bodies must be application/json or application/xml (UTF-8)'));
      return;
    }
    const declared = Number(req.get('content-length'));
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
      refuse(req, res, next, new AppError('payload-too-large', 'PayloadTooLarge', `Bodies are limited to ${limits.maxBodyBytes} bytes`));
      return;
    }
    readBounded(req, res, next, limits.maxBodyBytes);
  };
  const parse = (req: Request, res: Response, next: NextFunction): void => {
    if (!Buffer.isBuffer(req.body)) {
      next();
      return;
    }
    const kind = bodyKind(req.get('content-type')) as BodyKind;
    let text: string;
    try {
      text = utf8.decode(req.body);
    } catch {
      next(new AppError('validation', 'InvalidEncoding', 'The body is not valid UTF-8'));
      return;
    }
    req.body = undefined;
    if (text.trim() === '') {
      next();
      return;
    }
    try {
      const parsed = parseBodyText(kind, text, limits);
      const fieldErrors = parsed.xml ? [] : inspectValue(parsed.value, limits);
      if (fieldErrors.length > 0) throw AppError.validation(fieldErrors);
      res.locals.body = parsed;
      next();
    } catch (err) {
      next(err);
    }
  };
  return [gate, parse];
}
