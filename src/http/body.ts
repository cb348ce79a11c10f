// Request bodies: JSON or XML only, size-capped before they are read, depth-capped before they are
// parsed, then walked once so that no use case ever sees prototype keys, huge strings or control
// characters. The result lands in `res.locals.body`: JSON as parsed and inspected; XML as its parsed
// tree, which the binding types by the request DTO and inspects the same way (`operations/bind.ts`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
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

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
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
 * Refuses a body the engine will not read (any size): the answer goes out at once, with
 * `Connection: close`, then the connection is closed lingering (http/linger.ts) so it is not lost.
 */
function refuse(req: IncomingMessage, res: ServerResponse, err: AppError): AppError {
  res.setHeader('Connection', 'close');
  closeLingering(req);
  return err;
}

/**
 * Reads the body, at most `maxBytes`: beyond that (a chunked body, or a Content-Length that lied)
 * reading stops and the 413 goes out at once. Compressed bodies are refused.
 */
function readBounded(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return Promise.reject(refuse(req, res, new AppError('unsupported-media', 'UnsupportedMediaType', 'Compressed bodies are not accepted')));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: AppError): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(refuse(req, res, err));
      else resolve(Buffer.concat(chunks, size));
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
  });
}

/**
 * The body of a POST/PUT/PATCH request, read, parsed and inspected (`ParsedBody`), or undefined when
 * the request has none; rejects with the API's error.
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<ParsedBody | undefined> {
  if ((req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') || !hasBody(req)) return undefined;
  const kind = bodyKind(req.headers['content-type']);
  if (kind === 'other' || kind === 'none') {
    throw refuse(req, res, new AppError('unsupported-media', 'UnsupportedMediaType', 'Bodies must be application/json or application/xml (UTF-8)'));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    throw refuse(req, res, new AppError('payload-too-large', 'PayloadTooLarge', `Bodies are limited to ${limits.maxBodyBytes} bytes`));
  }
  const bytes = await readBounded(req, res, limits.maxBodyBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AppError('validation', 'InvalidEncoding', 'The body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  const parsed = parseBodyText(kind, text, limits);
  const fieldErrors = parsed.xml ? [] : inspectValue(parsed.value, limits);
  if (fieldErrors.length > 0) throw AppError.validation(fieldErrors);
  return parsed;
}

/** Express middleware (every path no operation serves): the body read into `res.locals.body`. */
export function bodyReader(limits: BodyLimits) {
  return (req: Request, res: Response, next: NextFunction): void => {
    readBody(req, res, limits).then((body) => {
      res.locals.body = body;
      next();
    }, next);
  };
}
