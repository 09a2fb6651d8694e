import type { Request, Response } from 'express';

/** The console session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
export const CONSOLE_COOKIE = 'scim_console_session';

export function consoleCookieOf(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === CONSOLE_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Secure whenever the page is served over HTTPS (directly, or behind a trusted proxy). */
export function setConsoleCookie(req: Request, res: Response, secret: string, maxAgeSeconds: number): void {
  res.append('Set-Cookie', `${CONSOLE_COOKIE}=${secret}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${req.secure ? '; Secure' : ''}`);
}

export function clearConsoleCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', `${CONSOLE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${req.secure ? '; Secure' : ''}`);
}
