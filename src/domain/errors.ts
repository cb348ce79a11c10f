// Errors the use cases raise; the HTTP layer turns them into ServiceStack's ResponseStatus shape.
// Codes are stable identifiers clients can match on.

export interface FieldError {
  /** camelCase field name as in the request, e.g. `numberToDial`, `steps[2].next`. */
  fieldName: string;
  errorCode: string;
  message: string;
}

export type ErrorKind =
  | 'validation'        // 400
  | 'unauthenticated'   // 401
  | 'forbidden'         // 403
  | 'not-found'         // 404
  | 'conflict'          // 409
  | 'payload-too-large' // 413
  | 'unsupported-media' // 415
  | 'unprocessable'     // 422
  | 'rate-limited'      // 429
  | 'unavailable';      // 503

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** e.g. `ValidationException`, `NotFound`, `Unauthorized`. */
    readonly errorCode: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    /** Seconds, for 429 and 503. */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static validation(fieldErrors: FieldError[], message = fieldErrors[0]?.message ?? 'Validation failed'): AppError {
    return new AppError('validation', 'ValidationException', message, fieldErrors);
  }

  static notFound(what: string): AppError {
    return new AppError('not-found', 'NotFound', `${what} not found`);
  }
}
