import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { requestError } from './issues';
import { checkResponses, responseCheckEnabled } from './response-check';

/**
 * One operation of the admin API, declared once: method, path, parameters, query, body and the
 * answers with their schemas. From it come the route's validation (`mount`: one middleware), the
 * handler's input types (inferred) and the OpenAPI document (src/admin/contract/document.ts).
 */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

type AnyObject = z.ZodObject;

export interface ResponseSpec {
  description: string;
  /** The JSON body; absent: no body (204) or `content` below. */
  schema?: z.ZodType;
  /** Another media type (a CSV download), as OpenAPI content. */
  content?: Record<string, unknown>;
}

export interface OperationSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined> {
  method: Method;
  /** OpenAPI path ('/groups/{id}'); express gets '/groups/:id'. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** With a body schema: may the body be left out (read as {})? A JSON null is never "left out". */
  bodyOptional?: boolean;
  /** More request media types beside JSON (the CSV import), as OpenAPI content. */
  otherBodyContent?: Record<string, unknown>;
  /** Success answers by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses answered with the Error schema (401 is added unless public; 400 always). */
  errors?: number[];
  public?: boolean;
}

export type Operation<
  P extends AnyObject | undefined = AnyObject | undefined,
  Q extends AnyObject | undefined = AnyObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> = OperationSpec<P, Q, B> & { readonly kind: 'operation' };

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** What a handler receives: the validated and typed parts of the request. */
export interface Input<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: B extends z.ZodType ? z.output<B> : undefined;
}

export function operation<P extends AnyObject | undefined = undefined, Q extends AnyObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: OperationSpec<P, Q, B>,
): Operation<P, Q, B> {
  return { ...spec, kind: 'operation' };
}

export const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/** Query values as single strings (a repeated parameter keeps its first value). */
function singleValues(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const first: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw requestError(result.error, where, schema, input);
  return result.data;
}

/** Validates a request against its operation: path parameters, then query, then body. */
export function validateRequest<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined>(op: Operation<P, Q, B>, req: Request): Input<P, Q, B> {
  const params = op.params ? parse(op.params, req.params, 'params') : {};
  const query = op.query ? parse(op.query, singleValues(req.query as Record<string, unknown>), 'query') : {};
  let body: unknown = undefined;
  if (op.body) {
    // No body at all (no content) may stand for {} where the operation says so; a JSON null never does.
    const raw: unknown = req.body === undefined && op.bodyOptional ? {} : req.body;
    body = parse(op.body, raw, 'body');
  }
  return { params, query, body } as Input<P, Q, B>;
}

export type Handler<P, Q, B> = (input: Input<P, Q, B>, req: Request, res: Response) => Promise<void> | void;

/** Registers the operation's route on `router`: the one validation middleware, then the handler. */
export function mount<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined>(
  router: Router,
  op: Operation<P, Q, B>,
  handler: Handler<P, Q, B>,
  ...before: ((req: Request, res: Response, next: NextFunction) => void)[]
): void {
  const check = responseCheckEnabled();
  router[op.method](expressPath(op.path), ...before, async (req: Request, res: Response) => {
    if (check) checkResponses(op, res);
    await handler(validateRequest(op, req), req, res);
  });
}
