import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBaseUrl, forgetLocalApiUrl, listeningBaseUrl, recordLocalApiUrl } from '../../src/local-env';

/** The URLs `npm start` and the CLI print carry the port the API really listens on. */
describe('the real port in printed URLs', () => {
  const saved = process.env.SCIM_DATA_DIR;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scim-url-'));
    process.env.SCIM_DATA_DIR = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.SCIM_DATA_DIR;
    else process.env.SCIM_DATA_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('PORT=0 prints the port bound, not 0', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      expect(port).toBeGreaterThan(0);
      expect(listeningBaseUrl(undefined, server.address())).toBe(`http://localhost:${port}`);
      expect(listeningBaseUrl('https://scim.example.com', server.address())).toBe('https://scim.example.com');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the CLI prints where the local npm start listens, and the configured port when none runs', () => {
    expect(cliBaseUrl(undefined, 8080)).toBe('http://localhost:8080');
    recordLocalApiUrl('http://localhost:41234');
    expect(cliBaseUrl(undefined, 8080)).toBe('http://localhost:41234');
    expect(cliBaseUrl('https://scim.example.com', 8080)).toBe('https://scim.example.com');
    forgetLocalApiUrl();
    expect(cliBaseUrl(undefined, 9090)).toBe('http://localhost:9090');
  });
});
