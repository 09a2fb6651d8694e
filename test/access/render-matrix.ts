import { ACTORS, ACTOR_KINDS, BASIS, KNOWN_HOLES, MATRIX, TARGETS, expectedOutcome, knownHole, type Outcome } from './matrix';

/**
 * Renders test/access/matrix.ts as docs/access-matrix.md: per operation, a table of target kinds ×
 * actor kinds with the expected answer, the product sentences it rests on, its exceptions and notes.
 * `npm run docs:access-matrix` writes the file; test/access/matrix-doc.test.ts fails when it is stale.
 */

const SYMBOL: Record<Outcome, string> = {
  ok: '✓',
  hidden: '404',
  forbidden: '403',
  refused: '403/404',
  conflict: '409',
  deactivated: '403 D',
  invalid: '400',
  rejected: '400/403/404',
};

export function renderAccessMatrix(): string {
  const out: string[] = [];
  out.push('# Access matrix of the admin API');
  out.push('');
  out.push('<!-- Generated from test/access/matrix.ts by `npm run docs:access-matrix`; do not edit by hand. -->');
  out.push('');
  out.push(
    'Who may do what in the admin API (`/admin/v1`), for every operation of the OpenAPI document, every kind of caller and every kind of object. ' +
      'test/access/matrix.test.ts sends each cell as one request to the real app and compares the answer; an operation without a row fails it. ' +
      'Each operation names the product document sentence it rests on (product docs in `product-docs/` beside DESIGN.md). ' +
      'Where the documents are ambiguous the safe answer is taken and the reason noted.',
  );
  out.push('');
  out.push(
    `Legend: ${Object.entries(SYMBOL)
      .map(([k, v]) => `\`${v}\` ${k}`)
      .join(', ')} (D: \`USER_DEACTIVATED\`). ✓ is the documented 2xx. A 2xx read must not show a user or group the caller may never see (\`NEVER_SHOWN\` in matrix.ts).`,
  );
  out.push('');
  out.push('## Callers');
  out.push('');
  out.push('| Kind | Who |');
  out.push('|---|---|');
  for (const a of ACTOR_KINDS) out.push(`| ${a} | ${ACTORS[a]} |`);
  out.push('');
  out.push('## Objects');
  out.push('');
  out.push('| Kind | What |');
  out.push('|---|---|');
  for (const [t, what] of Object.entries(TARGETS)) out.push(`| ${t} | ${what} |`);
  out.push('');
  out.push('## Product sentences');
  out.push('');
  for (const [key, b] of Object.entries(BASIS)) out.push(`- <a id="${key}"></a>**${key}**: ${b.doc}: “${b.quote}”`);
  out.push('');
  out.push('## Known holes');
  out.push('');
  out.push('Cells where the app still answers otherwise (marked ⚠ in the tables); the matrix test fails for any other difference, and when one of these is closed.');
  out.push('');
  for (const h of KNOWN_HOLES) out.push(`- \`${h.op}\` as ${h.actors.join(', ')} on ${h.targets.join(', ')}: ${h.answers}`);
  if (KNOWN_HOLES.length === 0) out.push('None: every cell answers as the table says.');
  out.push('');
  out.push('## Operations');
  for (const [op, row] of Object.entries(MATRIX)) {
    out.push('');
    out.push(`### ${op}`);
    out.push('');
    const basisKeys = row.basis.map((b) => Object.entries(BASIS).find(([, v]) => v === b)?.[0] ?? b.quote);
    out.push(`Rests on: ${basisKeys.map((k) => `[${k}](#${k})`).join(', ')}${row.public ? '. Public: no token needed.' : ''}`);
    for (const n of row.notes ?? []) out.push(`- ${n}`);
    for (const e of row.exceptions ?? []) out.push(`- Exception (${e.actors?.join(', ') ?? 'everyone'} on ${e.targets?.join(', ') ?? 'every target'}): ${SYMBOL[e.outcome]}, ${e.why}`);
    out.push('');
    out.push(`| Target | ${ACTOR_KINDS.join(' | ')} |`);
    out.push(`|---|${ACTOR_KINDS.map(() => '---').join('|')}|`);
    for (const t of row.targets) out.push(`| ${t} | ${ACTOR_KINDS.map((a) => `${SYMBOL[expectedOutcome(op, a, t).outcome]}${knownHole(op, a, t) ? ' ⚠' : ''}`).join(' | ')} |`);
  }
  out.push('');
  return out.join('\n');
}
