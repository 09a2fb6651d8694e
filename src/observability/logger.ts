import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel } from '../config/config';

/**
 * Structured JSON logs, one object per line. The request or job id in scope (AsyncLocalStorage)
 * is added to every line, so a line written deep in the domain still says which request it served.
 */
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const logContext = new AsyncLocalStorage<Record<string, unknown>>();

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

function serialiseError(err: unknown): unknown {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown };
    return { name: e.name, message: e.message, code: e.code, stack: e.stack };
  }
  return err;
}

export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}, write: (line: string) => void = (line) => process.stdout.write(line + '\n')): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg, ...bindings, ...logContext.getStore() };
    if (fields) for (const [k, v] of Object.entries(fields)) line[k] = k === 'err' ? serialiseError(v) : v;
    write(JSON.stringify(line));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (b) => createLogger(level, { ...bindings, ...b }, write),
  };
}

/** For tests and library use: drops everything. */
export const silentLogger: Logger = createLogger('error', {}, () => undefined);
