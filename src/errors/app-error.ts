/**
 * The one error type of the service. Domain and protocol code throw it; the SCIM and admin
 * error middlewares (and only they) turn it into a response. `code` is a stable identifier
 * asserted by tests; `scimType` is the RFC 7644 §3.12 detail type where one applies.
 */
export type ErrorKind =
  | 'badRequest'
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'methodNotAllowed'
  | 'conflict'
  | 'gone'
  | 'preconditionFailed'
  | 'payloadTooLarge'
  | 'unsupportedMediaType'
  | 'requestTimeout'
  | 'tooManyRequests'
  | 'notImplemented'
  | 'unavailable'
  | 'internal';

export type ScimType =
  'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive' | 'invalidCursor' | 'expiredCursor';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  methodNotAllowed: 405,
  conflict: 409,
  gone: 410,
  preconditionFailed: 412,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  requestTimeout: 408,
  tooManyRequests: 429,
  notImplemented: 501,
  unavailable: 503,
  internal: 500,
};

export interface AppErrorOptions {
  scimType?: ScimType;
  details?: unknown;
  cause?: unknown;
  /** Seconds, for 429/503 answers. */
  retryAfter?: number;
  /** The methods the target supports, for 405 answers (the Allow header). */
  allow?: readonly string[];
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly scimType?: ScimType;
  readonly details?: unknown;
  readonly retryAfter?: number;
  readonly allow?: readonly string[];

  constructor(kind: ErrorKind, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.scimType = options.scimType;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.allow = options.allow;
  }

  get status(): number {
    return STATUS_BY_KIND[this.kind];
  }
}

/** Shorthands for the SCIM 400s, which carry a scimType. */
export const scimError = {
  invalidFilter: (message: string, code = 'SCIM_INVALID_FILTER') => new AppError('badRequest', code, message, { scimType: 'invalidFilter' }),
  invalidSyntax: (message: string, code = 'SCIM_INVALID_SYNTAX') => new AppError('badRequest', code, message, { scimType: 'invalidSyntax' }),
  invalidPath: (message: string, code = 'SCIM_INVALID_PATH') => new AppError('badRequest', code, message, { scimType: 'invalidPath' }),
  noTarget: (message: string, code = 'SCIM_NO_TARGET') => new AppError('badRequest', code, message, { scimType: 'noTarget' }),
  invalidValue: (message: string, code = 'SCIM_INVALID_VALUE') => new AppError('badRequest', code, message, { scimType: 'invalidValue' }),
  mutability: (message: string, code = 'SCIM_MUTABILITY') => new AppError('badRequest', code, message, { scimType: 'mutability' }),
  tooMany: (message: string, code = 'SCIM_TOO_MANY') => new AppError('badRequest', code, message, { scimType: 'tooMany' }),
  uniqueness: (message: string, code = 'SCIM_UNIQUENESS') => new AppError('conflict', code, message, { scimType: 'uniqueness' }),
  invalidVers: (message: string, code = 'SCIM_INVALID_VERS') => new AppError('badRequest', code, message, { scimType: 'invalidVers' }),
  invalidCursor: (message: string, code = 'SCIM_INVALID_CURSOR') => new AppError('badRequest', code, message, { scimType: 'invalidCursor' }),
};

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
