import { startAdminStack, expectStatus, type AdminStack } from './admin-fixtures';

/**
 * The OpenAPI document served at /admin/v1/openapi.json is kept true by walking the routes express
 * has registered under /admin/v1: every route must be documented, and every documented operation
 * must exist.
 */
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function routesOf(stack: readonly Layer[], prefix: string, out: Set<string>): Set<string> {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        for (const method of Object.keys(layer.route.methods).filter((m) => HTTP_METHODS.includes(m))) out.add(`${method.toUpperCase()} ${prefix}${path}`);
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      routesOf(layer.handle.stack, prefix + mount, out);
    }
  }
  return out;
}

/** Express ':id' parameters become OpenAPI '{id}'. */
const toOpenApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

let s: AdminStack;
let registered: Set<string>;
let documented: Set<string>;
let document: { openapi: string; paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  s = await startAdminStack();
  const app = s.runtime.app as unknown as { router: { stack: Layer[] } };
  const adminLayer = app.router.stack.find((l) => l.rawPath === '/admin/v1');
  if (!adminLayer?.handle?.stack) throw new Error('the admin router is not mounted at /admin/v1');
  registered = new Set(
    [...routesOf(adminLayer.handle.stack, '', new Set())].map((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return `${method} ${toOpenApiPath(path)}`;
    }),
  );
  // Served without a token: it is public.
  document = expectStatus(await s.http.get('/admin/v1/openapi.json'), 200).body;
  documented = new Set(
    Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => HTTP_METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
});
afterAll(() => s.close());

describe('GET /admin/v1/openapi.json', () => {
  it('is an OpenAPI 3 document served without authentication', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(registered.size).toBeGreaterThan(20);
  });

  it('documents every route registered under /admin/v1', () => {
    expect([...registered].filter((r) => !documented.has(r)).sort()).toEqual([]);
  });

  it('documents no operation that has no route', () => {
    expect([...documented].filter((r) => !registered.has(r)).sort()).toEqual([]);
  });

  it('declares every path parameter of every operation', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(document.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      for (const [method, op] of Object.entries(ops)) {
        const declared = ((op as { parameters?: { name: string; in: string }[] }).parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        for (const name of names) if (!declared.includes(name)) missing.push(`${method.toUpperCase()} ${path}: {${name}}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('resolves every $ref to a declared schema', () => {
    const text = JSON.stringify(document);
    const schemas = (document as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
    const refs = [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !(r in schemas))).toEqual([]);
  });
});
