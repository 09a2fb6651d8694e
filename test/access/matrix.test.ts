import type request from 'supertest';
import { adminOpenApiDocument } from '../../src/admin/openapi';
import { ACTOR_KINDS, MATRIX, NEVER_SHOWN, expectedOutcome, knownHole, statusesOf, type Actor } from './matrix';
import { SPECS, type CellRequest } from './requests';
import { buildWorld, type World } from './world';

/**
 * The access matrix walked against the real app: every operation of the OpenAPI document, every
 * actor kind, every target kind the operation takes; one request per cell, the expected status from
 * test/access/matrix.ts. A 2xx read must not show an id the actor may never see (NEVER_SHOWN).
 * Failing cells are listed together (operation, target, actor, request, expected, answer).
 */

/** Every operation of the served document, as "METHOD /path". */
export function openApiOperations(): string[] {
  const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}

function okStatusOf(op: string): number {
  const [method, path] = op.split(' ') as [string, string];
  const doc = adminOpenApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const ok = Object.keys(doc.paths[path]![method.toLowerCase()]!.responses).find((s) => s.startsWith('2'));
  return Number(ok);
}

async function send(w: World, actor: Actor, r: CellRequest): Promise<request.Response> {
  const c = w.actors[actor].client;
  switch (r.method) {
    case 'GET':
      return c.get(r.path);
    case 'POST':
      return c.post(r.path, r.body);
    case 'PATCH':
      return c.patch(r.path, r.body);
    case 'DELETE':
      return c.delete(r.path);
  }
}

/** Ids the actor must never be shown, by target kind. */
function hiddenIds(w: World, actor: Actor): string[] {
  const users: Record<string, string> = { team: w.users.u1, outside: w.users.u3, workspace: w.users.c1, otherWorkspace: w.users.c3 };
  const never = NEVER_SHOWN[actor];
  return [...never.users.map((t) => users[t]!), ...never.groups.map((t) => w.groups[t as keyof World['groups']])].filter(Boolean);
}

/** Admins last: a refusal is checked against the world as built, before any allowed write was undone. */
const ORDER: Actor[] = [...ACTOR_KINDS.filter((a) => a !== 'operator' && a !== 'admin'), 'admin', 'operator'];

let w: World;
beforeAll(async () => {
  w = await buildWorld();
}, 120_000);
afterAll(() => w?.s.close());

describe('the access matrix', () => {
  it('has a row and a request for every OpenAPI operation, and none for an operation that does not exist', () => {
    const ops = openApiOperations().sort();
    expect(Object.keys(MATRIX).sort()).toEqual(ops);
    expect(Object.keys(SPECS).sort()).toEqual(ops);
  });

  it('every cell answers as the matrix says, against the real app', async () => {
    const failures: string[] = [];
    const holes: string[] = [];
    let cells = 0;
    for (const op of openApiOperations()) {
      const row = MATRIX[op];
      const spec = SPECS[op];
      if (!row || !spec) continue; // reported by the test above
      const ok = okStatusOf(op);
      for (const target of row.targets) {
        let fresh = spec.fresh ? await spec.fresh(w, target) : {};
        for (const actor of ORDER) {
          const { outcome, why } = expectedOutcome(op, actor, target);
          const req = spec.request(w, target, fresh, actor);
          const res = await send(w, actor, req);
          cells++;
          const accepted = outcome === 'ok' ? res.status >= 200 && res.status < 300 : statusesOf(outcome, ok).includes(res.status);
          const wrongCode = outcome === 'deactivated' && res.body?.error?.code !== 'USER_DEACTIVATED';
          const describeCell = () =>
            `${op} [${target}] as ${actor}: ${req.method} ${req.path}${req.body !== undefined ? ` ${JSON.stringify(req.body)}` : ''} → expected ${outcome} (${outcome === 'ok' ? ok : statusesOf(outcome, ok).join('|')})${why ? ` — ${why}` : ''}, got ${res.status} ${String(res.body?.error?.code ?? '')}`;
          let difference: string | null = null;
          if (!accepted || wrongCode) difference = describeCell();
          else if (req.method === 'GET' && res.status === 200) {
            const text = JSON.stringify(res.body);
            const shown = hiddenIds(w, actor).filter((id) => text.includes(id));
            if (shown.length) difference = `${describeCell()} — but the answer shows ${shown.join(', ')} (never shown to ${actor})`;
          }
          const hole = knownHole(op, actor, target);
          if (difference && hole) holes.push(difference);
          else if (difference) failures.push(difference);
          else if (hole) failures.push(`${describeCell()} — answers as the matrix says now: remove it from KNOWN_HOLES`);
          if (res.status >= 200 && res.status < 300 && req.method !== 'GET') {
            try {
              if (spec.undo) await spec.undo(w, target, fresh, res);
              if (spec.fresh) fresh = await spec.fresh(w, target);
            } catch (err) {
              failures.push(`${describeCell()} — then restoring the world failed: ${(err as Error).message}`);
            }
          }
        }
        if (spec.cleanup) await spec.cleanup(w, target, fresh);
      }
    }

    if (holes.length) console.log(`${holes.length} of ${cells} cells are known holes (KNOWN_HOLES):\n${holes.join('\n')}`);

    if (failures.length) console.log(`${failures.length} of ${cells} cells differ from the matrix:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  }, 600_000);
});
