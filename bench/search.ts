/**
 * `npm run bench:search`: the console's people search at scale. Seeds USERS (default 100,000)
 * users into a new tenant on the default database (the embedded server unless MONGODB_URI is set),
 * with realistic variety (40 given names × 60 family names, 12 departments, 8 countries, an
 * employee number and a custom cost centre), written straight to the collection as
 * bench/seed.ts does (the registry derives the search terms as a SCIM write would). Then asks
 * GET /admin/v1/users?search=… of an API runtime over HTTP, ROUNDS times per query in turn (so
 * machine noise falls on all of them), and prints p50 and p95 per query against the 500 ms target
 * of issue 21. A tenant of USERS users seeded by an earlier run on the same database is used again. Printed as a Markdown table for docs/benchmarks.md.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config/config';
import { createApiRuntime, closeServer } from '../src/runtime';
import { stopLocalServices, useLocalJwtSecret, useLocalServices } from '../src/local-env';
import { createTenant } from '../src/domain/tenants';
import { silentLogger } from '../src/observability/logger';
import { signAdminToken } from '../src/auth/admin-jwt';
import { loadSchemaRegistry } from '../src/attributes/registry';
import { userDocOf } from './seed';
import type { UserDoc } from '../src/persistence/models';
import { CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../src/attributes/urns';

const USERS = Number(process.env.USERS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const TARGET_MS = 500;
const CHUNK = 1000;

const GIVEN =
  'Noah Emma Liam Olivia Mateo Sofia Lucas Mia Leon Ava Elias Lina Jonas Nora Finn Ella Paul Clara Ben Hanna Felix Lea Max Marie Luis Ida Anton Emil Lena Oskar Maja Theo Frieda Jakob Greta Levi Ronja Milan Alma Yusuf'.split(
    ' ',
  );
const FAMILY = (
  'Rossi Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun ' +
  'Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs ' +
  'Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke'
).split(' ');
const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'Marketing', 'Finance', 'Legal', 'People', 'Operations', 'Product', 'Design', 'Security', 'Research'];
const COUNTRIES = ['DE', 'US', 'FR', 'IT', 'ES', 'NL', 'GB', 'PL'];

function userOf(i: number) {
  const given = GIVEN[i % GIVEN.length]!;
  const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
  const email = `${given}.${family}.${i}@acme.example`.toLowerCase();
  return {
    schemas: [CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN],
    externalId: `00u${i.toString(36).padStart(8, '0')}`,
    userName: email,
    active: true,
    displayName: `${given} ${family}`,
    title: `${DEPARTMENTS[i % DEPARTMENTS.length]} specialist`,
    emails: [{ primary: true, type: 'work', value: email }],
    name: { givenName: given, familyName: family, formatted: `${given} ${family}` },
    [ENTERPRISE_USER_URN]: { department: DEPARTMENTS[(i * 7) % DEPARTMENTS.length], employeeNumber: `E-${100000 + i}`, costCenter: `CC-${i % 400}` },
    [CUSTOM_USER_URN]: { country: COUNTRIES[(i * 3) % COUNTRIES.length] },
  };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

async function main(): Promise<void> {
  const startedServices = useLocalServices('start');
  useLocalJwtSecret();
  const config = loadConfig(process.env);
  const runtime = await createApiRuntime(config, silentLogger);
  const server = http.createServer(runtime.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/v1`;
  try {
    const registry = loadSchemaRegistry();
    const { models } = runtime.db;
    // A tenant seeded by an earlier run on the same database (the embedded server keeps .data/mongo) is used again.
    const earlier = (await models.Tenant.collection.find({ nameLower: { $regex: '^bench-search-' } } as never).toArray()) as unknown as { _id: string }[];
    let tenant: { tenantId: string } | undefined;
    for (const t of earlier) if ((await models.User.collection.countDocuments({ tenantId: t._id })) === USERS) tenant = { tenantId: t._id };
    const reused = tenant !== undefined;
    tenant ??= await createTenant(models, `bench-search-${Date.now().toString(36)}`);
    const seedStarted = Date.now();
    const now = new Date();
    for (let start = 0; !reused && start < USERS; start += CHUNK) {
      const docs: UserDoc[] = [];
      for (let i = start; i < Math.min(USERS, start + CHUNK); i++) {
        docs.push(userDocOf(registry, tenant.tenantId, userOf(i), now));
      }
      await models.User.collection.insertMany(docs as never[], { ordered: false });
      if ((start + CHUNK) % 10_000 === 0) process.stderr.write(`[bench] users ${start + CHUNK}/${USERS}\n`);
    }
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    const token = signAdminToken(config.adminJwt, { sub: 'usr_operator', tenant: tenant.tenantId, role: 'admin', kind: 'operator' }, 86_400);
    const last = USERS - 1;
    const queries: [string, string][] = [
      ['an e-mail address (one user)', userOf(last).emails[0]!.value],
      ['an employee number (one user)', `E-${100000 + last}`],
      ['a given name (1 in 40)', 'noah'],
      ['given and family name (1 in 2,400)', 'noah rossi'],
      ['family name, then given name', 'rossi noah'],
      ['a department (1 in 12)', 'engineering'],
      ['a department and a custom country (1 in 24)', 'engineering de'],
      ['a cost center (1 in 400)', 'cc-123'],
      ['no one', 'nobody-by-that-name'],
    ];
    const ask = async (search: string, cursor?: string) => {
      const started = process.hrtime.bigint();
      const res = await fetch(`${base}/users?search=${encodeURIComponent(search)}&limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers: { Authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { items: unknown[]; nextCursor: string | null };
      if (res.status !== 200) throw new Error(`search ${search}: ${res.status} ${JSON.stringify(body)}`);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, body };
    };
    for (const [, q] of queries) await ask(q); // warm-up
    const times = new Map<string, number[]>(queries.map(([label]) => [label, []]));
    const hits = new Map<string, number>();
    const secondPage: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [label, q] of queries) {
        const { ms, body } = await ask(q);
        times.get(label)!.push(ms);
        hits.set(label, body.items.length);
        if (label.startsWith('a department (') && body.nextCursor) secondPage.push((await ask(q, body.nextCursor)).ms);
      }
    }
    times.set('a department, the next page', secondPage);
    hits.set('a department, the next page', 50);
    const rows = [...times.entries()].map(([label, xs]) => {
      const [p50, p95] = [percentile(xs, 50), percentile(xs, 95)];
      return `| ${label} | ${hits.get(label)} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${p95 < TARGET_MS ? 'yes' : '**no**'} |`;
    });
    process.stdout.write(
      `\nPeople search, ${USERS.toLocaleString('en')} users (${reused ? 'seeded by an earlier run' : `seeded in ${seedSeconds.toFixed(0)} s`}), GET /admin/v1/users?search=…&limit=50, ${ROUNDS} rounds:\n\n` +
        `| query | rows | p50 ms | p95 ms | p95 < ${TARGET_MS} ms |\n|---|---|---|---|---|\n${rows.join('\n')}\n`,
    );
  } finally {
    await closeServer(server, 2000);
    await runtime.close();
    if (startedServices) stopLocalServices();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
