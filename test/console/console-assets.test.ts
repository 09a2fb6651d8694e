import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAdminStack, type AdminStack } from '../admin/admin-fixtures';

/** The console's scripts and styles travel compressed (brotli, else gzip) and decompress to the files served. */
const ROOT = join(__dirname, '..', '..');

describe('console assets', () => {
  let s: AdminStack;
  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'console', 'tsconfig.json')], { stdio: 'inherit' });
    s = await startAdminStack();
  }, 120_000);
  afterAll(() => s.close());

  const files = () => [
    ...readdirSync(join(ROOT, 'dist', 'console'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .map((f) => ({ path: `/console/${f}`, file: join(ROOT, 'dist', 'console', f) })),
    { path: '/console/console.css', file: join(ROOT, 'console', 'public', 'console.css') },
  ];

  it('serves every script and the stylesheet brotli- or gzip-compressed as accepted, plain otherwise', async () => {
    let plain = 0;
    let brotli = 0;
    let gzip = 0;
    for (const { path, file } of files()) {
      const raw = readFileSync(file);
      const br = await s.http
        .get(path)
        .set('Accept-Encoding', 'gzip, deflate, br')
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expect(br.status).toBe(200);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toContain('Accept-Encoding');
      // supertest decodes the body; Content-Length is what travelled.
      expect((br.body as Buffer).equals(raw)).toBe(true);
      const gz = await s.http
        .get(path)
        .set('Accept-Encoding', 'gzip')
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect((gz.body as Buffer).equals(raw)).toBe(true);
      const identity = await s.http.get(path).set('Accept-Encoding', 'identity');
      expect(identity.headers['content-encoding']).toBeUndefined();
      plain += raw.length;
      brotli += Number(br.headers['content-length']);
      gzip += Number(gz.headers['content-length']);
    }
    process.stdout.write(`console assets: ${(plain / 1024).toFixed(1)} KB plain, ${(gzip / 1024).toFixed(1)} KB gzip, ${(brotli / 1024).toFixed(1)} KB brotli\n`);
    expect(brotli).toBeGreaterThan(0);
    expect(brotli).toBeLessThan(plain / 2);
  });
});
