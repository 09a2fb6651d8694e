import { connect } from 'node:net';
import type { Server } from 'node:http';
import { startTestStack, type TestStack } from '../helpers/stack';
import { createHttpServer } from '../../src/runtime';

/** A client that stops sending its body is answered 408 and disconnected, not held open. */

let stack: TestStack;
let server: Server;
let port: number;
beforeAll(async () => {
  stack = await startTestStack();
  server = createHttpServer(stack.runtime.app, { requestTimeoutMs: 1000, checkIntervalMs: 100 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

it('a POST whose body stops arriving gets 408 and the connection closed within the request timeout', async () => {
  const started = Date.now();
  const { response, closedAfterMs } = await new Promise<{ response: string; closedAfterMs: number }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (d) => (response += d.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ response, closedAfterMs: Date.now() - started }));
    socket.write(`POST /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${stack.token}\r\nContent-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{"schemas":`);
  });
  expect(response).toMatch(/^HTTP\/1\.1 408/);
  expect(closedAfterMs).toBeLessThan(5000);
  expect(await stack.runtime.deps.models.User.countDocuments({ tenantId: stack.tenantId })).toBe(0);
});
