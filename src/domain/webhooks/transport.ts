import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What one POST answered: the status and the start of the body (or the error that stopped it). */
export interface PostAnswer {
  status?: number;
  excerpt?: string;
  error?: string;
}

/** Sends one POST; the delivery code's only way out to a receiver (a seam the benchmark uses to compare transports). */
export type PostTransport = (url: URL, headers: Record<string, string>, body: string, timeoutMs: number, excerptChars: number) => Promise<PostAnswer>;

// One keep-alive pool per process: a receiver's connection is reused from one event to the next
// (a new TCP, and for https TLS, connection per event is most of a delivery's cost on loopback).
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }) };

function readExcerpt(res: IncomingMessage, excerptChars: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      // Read to the end (so the connection can be reused) but keep only the excerpt.
      if (text.length < excerptChars) text += chunk;
    });
    res.on('end', () => resolve(text.slice(0, excerptChars)));
    // Cut off (the attempt's time ran out, the connection dropped): what came so far.
    res.on('error', () => resolve(text.slice(0, excerptChars)));
    res.on('close', () => resolve(text.slice(0, excerptChars)));
  });
}

/**
 * node:http(s) with a keep-alive agent: about three times the rate of `fetch` per connection on
 * loopback (docs/benchmarks.md). Redirects are never followed (node:http does not follow them).
 * The whole attempt (connect, send, answer) is bounded by `timeoutMs`.
 */
export const nodeHttpTransport: PostTransport = (url, headers, body, timeoutMs, excerptChars) =>
  new Promise<PostAnswer>((resolve) => {
    const https = url.protocol === 'https:';
    let settled = false;
    const done = (answer: PostAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'POST', agent: https ? agents.https : agents.http, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        void readExcerpt(res, excerptChars).then((excerpt) => done({ status: res.statusCode, excerpt }));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => done({ error: err.message }));
    req.end(body);
  });
