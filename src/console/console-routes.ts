import { existsSync, readFileSync, statSync } from 'node:fs';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import type { Models } from '../persistence/models';
import { CONSOLE_LANDINGS, CONSOLE_SESSION_TTL_SECONDS, redeemConsoleLink } from '../auth/console-sessions';
import { setConsoleCookie } from '../auth/console-cookie';
import type { AppError } from '../errors/app-error';
import { toAppError } from '../http/infrastructure-errors';
import type { Logger } from '../observability/logger';

/** The folder holding package.json: the console's files are found from it whether running from src/ (tests) or dist/. */
function projectRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/**
 * Scripts and styles come only from our origin, and no inline script or style runs: what the page
 * shows (user names, rule expressions, IdP group names) cannot become code. No framing (clickjacking).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(_req: Request, res: Response, next: () => void): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
}

/**
 * A console page that could not be served for a reason of ours (the database did not answer, the
 * request passed its deadline): 503 with Retry-After says "try again", a 500 says "our bug".
 */
export function sendConsoleError(res: Response, error: AppError): void {
  if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
  const retry = error.status === 503 ? '<p>The service is busy or its database is not answering: open the link again in a few seconds.</p>' : '';
  res.status(error.status).type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console unavailable</title><link rel="stylesheet" href="/console/console.css"></head>
<body><main class="signed-out"><h1>The console cannot answer right now</h1>${retry}</main></body></html>`);
}

function signInFailedPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in link not valid</title><link rel="stylesheet" href="/console/console.css"></head>
<body><main class="signed-out"><h1>This sign-in link cannot be used</h1><p>${message}</p>
<p>Open the console again from your account in the application that gave you access: it makes a new link each time.</p></main></body></html>`;
}

/**
 * The console's scripts and styles, brotli- or gzip-compressed as the browser accepts (the
 * compressed bytes are kept per file and rebuilt when the file changes). Anything else, or a
 * browser that accepts neither, falls through to express.static.
 */
function compressedAssets(dirs: readonly string[]): express.RequestHandler {
  const cache = new Map<string, { mtimeMs: number; br: Buffer; gzip: Buffer }>();
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !/^\/[\w\-/]+\.(js|css)$/.test(req.path) || req.path.includes('..')) return next();
    const accepts = String(req.headers['accept-encoding'] ?? '');
    const encoding = /\bbr\b/.test(accepts) ? 'br' : /\bgzip\b/.test(accepts) ? 'gzip' : undefined;
    const file = dirs.map((d) => join(d, req.path)).find((f) => existsSync(f));
    if (!encoding || !file) return next();
    const { mtimeMs } = statSync(file);
    let entry = cache.get(file);
    if (!entry || entry.mtimeMs !== mtimeMs) {
      const raw = readFileSync(file);
      entry = { mtimeMs, br: brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }), gzip: gzipSync(raw, { level: 9 }) };
      cache.set(file, entry);
    }
    res.setHeader('Content-Encoding', encoding);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Cache-Control', 'no-cache');
    res.type(req.path.endsWith('.css') ? 'text/css' : 'text/javascript');
    res.send(entry[encoding]);
  };
}

/**
 * /console: the operator console, a static page (console/public, and the scripts `npm run build`
 * compiles from console/src into dist/console) whose only back end is the admin API; and
 * /console/sign-in, where a one-time link becomes a session cookie.
 */
export function consoleRoutes(deps: { models: Models; logger: Logger }): Router {
  const root = projectRoot();
  const publicDir = join(root, 'console', 'public');
  const builtDir = join(root, 'dist', 'console');
  const router = express.Router();
  router.use(securityHeaders);

  router.get('/sign-in', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    try {
      const session = await redeemConsoleLink(deps.models, code);
      setConsoleCookie(req, res, session.secret, CONSOLE_SESSION_TTL_SECONDS);
      // 303 to a URL without the code: nothing secret stays in the address bar or history.
      res.redirect(303, session.landing && (CONSOLE_LANDINGS as readonly string[]).includes(session.landing) ? `/console/#/${session.landing}` : '/console/');
    } catch (err) {
      const error = toAppError(err);
      if (error.code !== 'CONSOLE_LINK_INVALID') deps.logger.error('console sign-in failed', { err: error.cause ?? err, code: error.code });
      if (error.status >= 500) {
        sendConsoleError(res, error);
        return;
      }
      res.status(error.status).type('html').send(signInFailedPage('It is unknown, has expired (links last 10 minutes) or was used already: each link signs in once.'));
    }
  });

  router.get('/', (_req, res) => {
    if (!existsSync(join(builtDir, 'main.js'))) {
      res.status(503).type('text').send('The console is not built: run npm run build');
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(join(publicDir, 'index.html'));
  });
  router.use(compressedAssets([publicDir, builtDir]));
  router.use(express.static(publicDir, { index: false, fallthrough: true }));
  router.use(express.static(builtDir, { index: false, fallthrough: true }));
  return router;
}
