// The metadata ServiceStack serves publicly (no token, no account data): `/metadata` lists the
// operations, `/{json|xml}/metadata?op=Op[&lang=csharp|typescript|dart|python]` describes one (routes,
// roles, DTOs in the chosen language, parameters, sample HTTP request and response), `/types/*`
// is "Add ServiceStack Reference", `/openapi.json` the OpenAPI 3.1 document. All built from the
// registry; the pages and generated sources are computed once (an operation page on its first
// request), only the base URL varies.
import { Router, type Request, type Response } from 'express';
import type { Dto, Field, Operation } from '../operations/types.js';
import { PREDEFINED_ROUTES } from '../operations/router.js';
import { toXml } from '../xml.js';
import { csharpDtos } from './csharp.js';
import { dartDtos } from './dart.js';
import { allFields, describe, dto, OPERATIONS } from './model.js';
import { openApiDocument } from './openapi.js';
import { pythonDtos } from './python.js';
import { typescriptDtos } from './typescript.js';
import { typesMetadata } from './types-metadata.js';

export const METADATA_PAGES = ['/metadata', '/json/metadata', '/xml/metadata', '/types/metadata', '/types/typescript', '/types/dart', '/types/csharp', '/types/python', '/openapi.json'] as const;

const LANGS = { csharp: csharpDtos, typescript: typescriptDtos, dart: dartDtos, python: pythonDtos } as const;
type Lang = keyof typeof LANGS;

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function baseUrl(req: Request): string {
  // The Host header is the client's word: only a plausible host[:port] is echoed back.
  const host = req.get('host') ?? '';
  return `${req.protocol}://${/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9a-fA-F:.]{2,45}\](:\d{1,5})?$/.test(host) ? host : 'localhost'}`;
}

/** Placeholder values of a DTO for the sample requests, as ServiceStack's pages show them. */
function sample(d: Dto, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of allFields(d)) out[f.name] = sampleValue(f, depth);
  return out;
}

function sampleValue(f: Field, depth: number): unknown {
  const t = f.type;
  if (typeof t === 'string') return t === 'int' || t === 'long' ? 0 : t === 'bool' ? false : t === 'DateTime' ? '0001-01-01T00:00:00.0000000' : t === 'object' ? {} : f.allowed?.[0] ?? 'String';
  if ('ref' in t) return depth < 2 ? sample(dto(t.ref), depth + 1) : {};
  if ('list' in t) return typeof t.list === 'string' ? ['String'] : depth < 2 ? [sample(dto(t.list.ref), depth + 1)] : [];
  return { String: 'String' };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>`
    + '<style>body{font-family:sans-serif;margin:2em;max-width:70em}pre{background:#f4f4f4;padding:1em;overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>'
    + `</head><body>${body}</body></html>`;
}

const INDEX = page('ari-flow-engine metadata', `<h1>ari-flow-engine</h1><p>The following operations are supported. For a formal definition, see the
<a href="/openapi.json">OpenAPI document</a> or add a ServiceStack reference: <a href="/types/typescript">TypeScript</a>, <a href="/types/dart">Dart</a>,
<a href="/types/csharp">C#</a>, <a href="/types/python">Python</a> (<a href="/types/metadata">metadata</a>).</p><table><tr><th>Operation</th><th>Formats</th><th>Description</th></tr>${
  OPERATIONS.map((op) => `<tr><td>${op.name}</td><td><a href="/json/metadata?op=${op.name}">JSON</a> <a href="/xml/metadata?op=${op.name}">XML</a> CSV${op.list ? '' : ' (one row)'}</td><td>${html(op.summary)}</td></tr>`).join('')}</table>`);

function parameterTable(d: Dto): string {
  const rows = allFields(d).map((f) => `<tr><td>${f.name}</td><td>${f.source ?? 'body'}</td><td>${html(JSON.stringify(f.type))}</td><td>${f.required ? 'Yes' : 'No'}</td><td>${html(describe(f))}</td></tr>`).join('');
  return `<table><tr><th>Name</th><th>Parameter</th><th>Data Type</th><th>Required</th><th>Description</th></tr>${rows}</table>`;
}

function dtoSource(lang: Lang, names: string[]): string {
  const all = LANGS[lang]('', '');
  // The declarations of these types, cut from the full file at their doc comments.
  const blocks = all.split(/\n(?=(?:\/\*\*|    \/\/\/<summary>|@dataclass_json))/);
  return names.map((n) => blocks.filter((b) => new RegExp(`class ${n}\\b`).test(b)).join('\n')).join('\n');
}

/** Operation pages by format, operation and language: at most operations × 2 × languages entries. */
const PAGES = new Map<string, string>();

function operationPage(opName: string, format: 'json' | 'xml', lang: Lang): string | undefined {
  const op = OPERATIONS.find((o) => o.name.toLowerCase() === opName.toLowerCase());
  if (!op) return undefined;
  const key = `${format} ${op.name} ${lang}`;
  let built = PAGES.get(key);
  if (built === undefined) {
    built = buildOperationPage(op, format, lang);
    PAGES.set(key, built);
  }
  return built;
}

function buildOperationPage(op: Operation, format: 'json' | 'xml', lang: Lang): string {
  const request = dto(op.request);
  const verbs = [op.verb, ...(op.alsoVerbs ?? [])];
  const path = op.routes[0] ?? `/api/${op.name}`;
  const requestSample = format === 'json' ? JSON.stringify(sample(request), null, 2) : toXml(op.request, sample(request));
  const response = op.response ? dto(op.response) : undefined;
  const responseSample = response ? (format === 'json' ? JSON.stringify(sample(response), null, 2) : toXml(response.name, sample(response))) : '';
  const type = format === 'json' ? 'application/json' : 'application/xml';
  const langs = (Object.keys(LANGS) as Lang[]).map((l) => (l === lang ? `<b>${l}</b>` : `<a href="/${format}/metadata?op=${op.name}&amp;lang=${l}">${l}</a>`)).join(' | ');
  return page(`${op.name} | ari-flow-engine`, `<p><a href="/metadata">&lt;back to all web services</a></p><h1>${op.name}</h1>
<p>${html(op.description)}</p>
${op.requiresAuth ? `<p><b>Requires Authentication</b></p><p>Required role: any of ${op.anyRole.map(html).join(', ')}</p>` : '<p>No authentication required</p>'}
<h2>Routes</h2><table><tr><th>Verbs</th><th>Path</th></tr>${op.routes.map((r) => `<tr><td>${verbs.join(', ')}</td><td>${html(r)}</td></tr>`).join('')}
${PREDEFINED_ROUTES.map(({ prefix }) => `<tr><td>All Verbs</td><td>${prefix}/${op.name}</td></tr>`).join('')}</table>
<h2>${op.name} Parameters</h2>${parameterTable(request)}
${response ? `<h2>${response.name} Parameters</h2>${parameterTable(response)}` : ''}
<h2>DTOs (${langs})</h2><pre>${html(dtoSource(lang, [op.request, ...(op.response ? [op.response] : [])]))}</pre>
<h2>HTTP + ${format.toUpperCase()}</h2><p>The following are sample HTTP requests and responses. The placeholders shown need to be replaced with actual values.</p>
<pre>${html(`${op.verb} ${path} HTTP/1.1\nHost: localhost\nAuthorization: Bearer <token>\nAccept: ${type}\nContent-Type: ${type}\nContent-Length: length\n\n${requestSample}`)}</pre>
<pre>${html(`HTTP/1.1 ${op.status} ${op.status === 204 ? 'No Content' : op.status === 201 ? 'Created' : 'OK'}\nContent-Type: ${type}\nContent-Length: length\n\n${responseSample}`)}</pre>
<p>To override the Content-type in your clients, use the HTTP Accept Header, append the <b>.${format}</b> suffix or <b>?format=${format}</b>.
${format === 'json' ? '<p>To embed the response in a <b>jsonp</b> callback, append <b>?callback=myCallback</b>.</p>' : ''}`);
}

export function metadataRoutes(): Router {
  const r = Router();
  const generatedAt = new Date().toISOString().slice(0, 19).replace('T', ' ');
  const sendHtml = (res: Response, body: string, status = 200): void => {
    res.status(status).type('text/html; charset=utf-8').send(body);
  };
  r.get('/metadata', (_req, res) => sendHtml(res, INDEX));
  for (const format of ['json', 'xml'] as const) {
    r.get(`/${format}/metadata`, (req, res) => {
      const { op, lang } = req.query as Record<string, unknown>;
      if (op === undefined) return sendHtml(res, INDEX);
      const chosen = typeof lang === 'string' && lang in LANGS ? (lang as Lang) : 'csharp';
      const body = typeof op === 'string' ? operationPage(op, format, chosen) : undefined;
      if (body === undefined) return sendHtml(res, page('Not found', `<p>No operation ${html(String(op))}. <a href="/metadata">All operations</a></p>`), 404);
      return sendHtml(res, body);
    });
  }
  r.get('/types/metadata', (req, res) => {
    res.type('application/json; charset=utf-8').send(JSON.stringify(typesMetadata(baseUrl(req))));
  });
  for (const lang of Object.keys(LANGS) as Lang[]) {
    r.get(`/types/${lang}`, (req, res) => {
      res.type('text/plain; charset=utf-8').send(LANGS[lang](baseUrl(req), generatedAt));
    });
  }
  r.get('/openapi.json', (req, res) => {
    res.type('application/json; charset=utf-8').send(JSON.stringify(openApiDocument(baseUrl(req))));
  });
  return r;
}
