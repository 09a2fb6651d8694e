import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/app-error';
import { logContext, type Logger } from '../observability/logger';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from './infrastructure-errors';

/** How a surface (SCIM, admin API, console) writes an error in its own format. */
export type ErrorResponder = (res: Response, error: AppError) => void;

/** Headers that describe a representation the 503 does not carry (set by a handler before it sent). */
const REPRESENTATION_HEADERS = ['ETag', 'Location', 'Content-Location', 'Last-Modified'];

/** Key in the request's log context (AsyncLocalStorage store) set once its deadline answered 503. */
const DEADLINE_ANSWERED = 'deadlineAnswered';

/**
 * Throws the deadline's 503 when this request already answered it. A write path calls it before its
 * commit point (taking a group change's position, retrying an optimistic write): a request the
 * client saw fail must not start a change afterwards, or it could land after, and undo, a change
 * the client made next and saw succeed (docs/decisions.md, "Acknowledged means final"). What it
 * committed before the deadline is finished as after a crash. Outside a request, never throws.
 */
export function assertDeadlineNotAnswered(): void {
  if (logContext.getStore()?.[DEADLINE_ANSWERED] === true) throw new AppError('unavailable', 'REQUEST_DEADLINE', 'The request already answered 503 at its deadline');
}

export function deadlineError(ms: number): AppError {
  return new AppError('unavailable', 'REQUEST_DEADLINE', `The request was not answered within ${ms} ms; retry later`, {
    retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS,
  });
}

/**
 * Once the answer went out, what the handler still writes goes nowhere: it keeps running (its
 * writes are crash-safe, as after a crash: intents and pending audits are finished by it or by the
 * sweeper), but it neither writes a second response nor changes the status the logs and metrics
 * report for this one.
 */
function ignoreLateWrites(res: Response): void {
  const status = res.statusCode;
  const ignore = function (this: Response) {
    return this;
  };
  Object.assign(res, { setHeader: ignore, appendHeader: ignore, removeHeader: ignore, writeHead: ignore, end: ignore, write: () => true });
  Object.defineProperty(res, 'statusCode', { configurable: true, get: () => status, set: () => undefined });
}

/**
 * Every request answers within `ms` of its arrival (IdPs give up: Okta at 60 s, Entra sooner): when
 * the deadline passes before the handler started its answer, the request answers 503 with
 * Retry-After in its surface's format (`responderFor`), and the handler's late answer is dropped.
 * A handler that already started its answer (headers sent, e.g. a long list streaming) finishes it.
 */
export function requestDeadline(ms: number, responderFor: (req: Request) => ErrorResponder, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const store = logContext.getStore();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      if (store) store[DEADLINE_ANSWERED] = true;
      for (const name of REPRESENTATION_HEADERS) res.removeHeader(name);
      responderFor(req)(res, deadlineError(ms));
      ignoreLateWrites(res);
      logger.warn('request passed its deadline', { method: req.method, path: req.originalUrl.split('?')[0], deadlineMs: ms });
    }, ms);
    const stop = () => clearTimeout(timer);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
}
