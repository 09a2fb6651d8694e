import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestStack } from '../helpers/stack';
import { signAdminToken } from '../../src/auth/admin-jwt';
import { runAuthorizeBenchmark } from '../../bench/authorize';

it('bench', async () => {
  const s = await startTestStack();
  const server = http.createServer(s.runtime.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const big = process.env.BIG === '1';
  const results = await runAuthorizeBenchmark({
    models: s.runtime.deps.models,
    groups: big ? 10000 : 500, roles: big ? 100 : 20, users: big ? 1000 : 100,
    durationSeconds: big ? 5 : 1,
    progress: (m) => process.stderr.write(m + '\n'),
    http: { port, token: (tenant) => signAdminToken(s.config.adminJwt, { sub: 'bench', tenant, role: 'admin' }) },
  });
  console.log(JSON.stringify(results, null, 1));
  server.closeAllConnections();
  server.close();
  await s.close();
}, 600000);
