// The vocabulary of the operation registry: DTOs (named types with typed, documented fields) and
// operations (a ServiceStack-style name, verb, routes, roles, request and response DTOs). The
// declarations themselves are in `dtos.ts` and `registry.ts`; everything else reads them.
import type { Input } from '../../services/input.js';
import type { StreamSink } from '../../services/event-streams.js';
import type { AuthContext } from '../auth.js';

/** Scalars as ServiceStack names them in its metadata (`/types/metadata`). */
export type Scalar = 'string' | 'int' | 'long' | 'bool' | 'DateTime' | 'object';

/**
 * A field's type: a scalar, another DTO by name (`{ ref: 'Session' }`), a list of either, or a
 * `Dictionary<string, T>`.
 */
export type TypeRef =
  | Scalar
  | { ref: string }
  | { list: Scalar | { ref: string } }
  | { map: Scalar };

/** Where a request field is bound from; `body` fields also bind from the query, as ServiceStack does. */
export type Source = 'path' | 'query' | 'body';

export interface Field {
  /** camelCase, as JSON carries it (XML and C# use the PascalCase form). */
  name: string;
  type: TypeRef;
  required?: boolean;
  description: string;
  /** Request fields only (default `body` for POST/PUT/PATCH, `query` otherwise). */
  source?: Source;
  /** Allowed values, when the field is an enumeration of strings. */
  allowed?: readonly string[];
  /** JSON carries `null` when there is no value (a response's unset date; a request's "none"). */
  nullable?: boolean;
}

export interface Dto {
  name: string;
  description: string;
  /** DataContract namespace of its XML form. */
  namespace: string;
  fields: readonly Field[];
  /** Inherits the fields of this DTO (e.g. `ListRequest`), as the generated classes do. */
  inherits?: string;
  /** Other XML root names a request may use (e.g. a flow read as `<Flow>` and written back). */
  xmlRootAliases?: readonly string[];
}

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A handler's answer: the response DTO instance, or nothing (204). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Stream operations: what to write, as Server-Sent Events, once the 200 is sent. */
  stream?: { start: (sink: StreamSink) => Promise<void>; heartbeatMs: number };
  /** File operations: these bytes as the body, with their own content type (no DTO, no format). */
  file?: { data: Buffer; contentType: string };
}

export interface HandlerContext {
  /** The request DTO, bound from path, query and body. */
  request: Input;
  /** Undefined only for operations that do not require authentication. */
  auth: AuthContext | undefined;
  header(name: string): string | undefined;
}

export interface Operation {
  /** ServiceStack-style request DTO name: also the predefined route `/api/{name}`. */
  name: string;
  verb: Verb;
  /** Extra verbs the custom routes also answer (e.g. PUT beside PATCH). */
  alsoVerbs?: readonly Verb[];
  /** Custom routes in ServiceStack's form: `/sessions/{sessionId}`. */
  routes: readonly string[];
  summary: string;
  description: string;
  /** Request DTO name (a DTO of that name is declared in `dtos.ts`). */
  request: string;
  /** Response DTO name; undefined = no body (204). */
  response: string | undefined;
  /** Status of a successful answer. */
  status: number;
  tags: readonly string[];
  /** False for the public probes (health, readiness); everything else needs a bearer token. */
  requiresAuth: boolean;
  /** The caller needs any one of these roles (checked by `auth.ts` for every authenticated route). */
  anyRole: readonly string[];
  /** A list operation: its response has `items` and can be written as CSV. */
  list?: boolean;
  /** A Server-Sent Events stream: served on its custom routes only (no predefined /api routes). */
  stream?: boolean;
  /** A file operation: the content type of the bytes it answers instead of a response DTO. */
  produces?: string;
}

export type Handler = (ctx: HandlerContext) => Promise<Reply>;

export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
