import type { Response } from 'express';
import type { Operation } from './operation';
import { ErrorSchema } from './schemas';

/**
 * The check that an answer is what the document declares: its status is one of the operation's
 * (success statuses, its error statuses, and those every operation has: 400, 401, 405), and its
 * JSON body satisfies the schema for that status (strict objects: no undeclared field). Switched
 * on by ADMIN_RESPONSE_CHECK=1 (the test suite, test/helpers/global-setup.js): a mismatch is
 * then answered as a 500 CONTRACT_VIOLATION naming it, so the test that met it fails.
 */
export const responseCheckEnabled = (): boolean => process.env.ADMIN_RESPONSE_CHECK === '1';

/** Statuses any admin operation may answer beside its own: the guard's 400/405, authentication's 401, 403 and throttling. */
const ALWAYS = new Set([400, 401, 405, 413, 415, 429, 500, 503]);

export function contractViolation(op: Pick<Operation, 'method' | 'path' | 'responses' | 'errors' | 'public'>, status: number, body: unknown): string | undefined {
  const where = `${op.method.toUpperCase()} ${op.path} answered ${status}`;
  const success = op.responses[status];
  if (success) {
    if (!success.schema) return undefined;
    const result = success.schema.safeParse(body);
    return result.success ? undefined : `${where} with a body the document does not declare: ${result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`;
  }
  if (status >= 400) {
    if (!ALWAYS.has(status) && !(op.errors ?? []).includes(status)) return `${where}, a status the document does not declare`;
    const result = ErrorSchema.safeParse(body);
    return result.success ? undefined : `${where} with an error body that is not an Error: ${result.error.message}`;
  }
  return `${where}, a status the document does not declare`;
}

/** Wraps res.json so that every JSON answer of the operation is checked before it leaves. */
export function checkResponses(op: Operation, res: Response): void {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    // As it goes on the wire (dates as ISO text).
    const wire: unknown = body === undefined ? undefined : JSON.parse(JSON.stringify(body));
    const violation = contractViolation(op, res.statusCode, wire);
    if (violation === undefined) return json(body);
    res.status(500);
    return json({ error: { code: 'CONTRACT_VIOLATION', message: violation } });
  };
}
