import { startAdminStack } from '../admin/admin-fixtures';
import { adminOpenApiDocument } from '../../src/admin/openapi';
import { rulesOpenApi } from '../../src/admin/routes/rules';
import { syncOpenApi } from '../../src/admin/routes/sync';

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; rawPath?: unknown }
const M = ['get', 'post', 'put', 'patch', 'delete'];
function routesOf(stack: readonly Layer[], prefix: string, out: Set<string>): Set<string> {
  for (const l of stack) {
    if (l.route) for (const m of Object.keys(l.route.methods).filter((x) => M.includes(x))) out.add(`${m.toUpperCase()} ${(prefix + l.route.path).replace(/:(\w+)/g, '{$1}')}`);
    else if (l.handle?.stack) routesOf(l.handle.stack, prefix + (typeof l.rawPath === 'string' && l.rawPath !== '/' ? l.rawPath : ''), out);
  }
  return out;
}
it('merged document covers every route', async () => {
  const s = await startAdminStack();
  const app = s.runtime.app as unknown as { router: { stack: Layer[] } };
  const admin = app.router.stack.find((l) => l.rawPath === '/admin/v1')!;
  const registered = routesOf(admin.handle!.stack!, '', new Set());
  const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
  const paths = { ...doc.paths, ...rulesOpenApi.paths, ...syncOpenApi.paths } as Record<string, Record<string, unknown>>;
  const documented = new Set(Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => M.includes(m)).map((m) => `${m.toUpperCase()} ${p}`)));
  expect([...registered].filter((r) => !documented.has(r)).sort()).toEqual([]);
  expect([...documented].filter((r) => !registered.has(r)).sort()).toEqual([]);
  await s.close();
});
