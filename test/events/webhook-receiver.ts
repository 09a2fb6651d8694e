import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
  answered: number;
  at: number;
  /** With a `verifier`: null when the request verified on arrival (as a receiver checks it: the timestamp is fresh then), else the error. */
  verifyError?: string | null;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Checks each request as it arrives (e.g. `new Webhook(secret).verify`); throws when it is not ours. */
  verifier?: (body: string, headers: Record<string, string>) => unknown;
  close(): Promise<void>;
}

const open = new Set<Server>();

const flat = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

/**
 * A webhook receiver on loopback that answers `status()` (e.g. 503 while "down"), after `hold()`
 * when given, and keeps every request. Every receiver started is closed by `closeReceivers()` (call it in afterAll), so a
 * failing test leaves no listening server behind.
 */
export async function startReceiver(status: () => number, hold?: () => Promise<void>): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = { url: '', received, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void answer());
    // `hold`: the answer waits for it (a slow receiver, opened by the test).
    const answer = async () => {
      if (hold) await hold();
      const answered = status();
      const entry: Received = { headers: flat(req.headers), body: Buffer.concat(chunks).toString('utf8'), answered, at: Date.now() };
      if (receiver.verifier) {
        try {
          receiver.verifier(entry.body, entry.headers);
          entry.verifyError = null;
        } catch (err) {
          entry.verifyError = err instanceof Error ? err.message : String(err);
        }
      }
      received.push(entry);
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'thanks' : 'down for maintenance');
    };
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.add(server);
  const close = () => {
    open.delete(server);
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = close;
  return receiver;
}

export async function closeReceivers(): Promise<void> {
  await Promise.all(
    [...open].map((server) => {
      open.delete(server);
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    }),
  );
}
