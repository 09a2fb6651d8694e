import type { Response } from 'express';
import type { AppError } from '../errors/app-error';

/** The admin API's and the service paths' error body, `{error: {code, message, details}}`, with its headers. */
export function sendJsonError(res: Response, error: AppError): void {
  if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
  if (error.allow !== undefined) res.setHeader('Allow', error.allow.join(', '));
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  res.status(error.status).json({ error: body });
}
