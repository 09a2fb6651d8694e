import { api, ApiError } from '../api.js';
import { field, h, pagedTable, replace, row, statusLine, table, when, onAsync, type RowPage } from '../dom.js';
import type { Page } from '../main.js';

interface SyncStatus {
  pending: { users: number; groups: number; rules: number; total: number; oldestPendingAgeSeconds: number | null };
  jobs: { waiting: number; active: number; delayed: number; failed: number; completedLastHour?: number; failedLastHour?: number } | { error: string };
  lastSuccessfulEvaluationAt: string | null;
  rules: {
    id: string;
    name: string;
    kind: string;
    enabled: boolean;
    pending: boolean;
    lastRun?: { outcome: string; matched: number; added: number; removed: number; durationMs: number; finishedAt: string };
  }[];
}
interface Failure {
  id: string;
  name: string;
  data: Record<string, unknown>;
  error: string;
  attemptsMade: number;
  failedAt: string | null;
}

interface QueuedJob {
  id: string;
  name: string;
  data: Record<string, unknown>;
  state: string;
  attemptsMade: number;
  enqueuedAt: string;
  dueAt: string | null;
}

interface ApiPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Reads pages until one has rows or the list ends: the API looks at a bounded window of the whole
 * queue per page, so a page can come back empty (other tenants' jobs) with a cursor.
 */
async function firstRows<T>(path: (cursor?: string) => string, cursor?: string): Promise<ApiPage<T>> {
  let page = await api.get<ApiPage<T>>(path(cursor));
  for (let i = 0; i < 10 && page.items.length === 0 && page.nextCursor !== null; i++) page = await api.get<ApiPage<T>>(path(page.nextCursor));
  return page;
}

const withCursor = (base: string) => (cursor?: string) => `${base}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

export const REFRESH_MS = 5000;
const SVG = 'http://www.w3.org/2000/svg';

/** A sparkline of the outbox backlog, sampled at each refresh since the page opened. */
function sparkline(samples: number[]): SVGSVGElement {
  const width = 240;
  const height = 48;
  const max = Math.max(1, ...samples);
  const step = samples.length > 1 ? width / (samples.length - 1) : width;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Pending changes over the last ${samples.length} refreshes: now ${samples.at(-1) ?? 0}, highest ${max}`);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', samples.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

const card = (label: string, value: string | number, testId: string) => h('div', { class: 'card' }, h('span', { class: 'card-label' }, label), h('strong', { 'data-testid': testId }, String(value)));

export const renderSync: Page = (root) => {
  const live = h('p', { class: 'hint' });
  const cards = h('section', { 'aria-label': 'Sync health' });
  const failures = h('section', { 'aria-labelledby': 'failures-h' });
  const jobsSection = h('section', { 'aria-labelledby': 'jobs-h' });
  const jobState = h(
    'select',
    { name: 'jobState' },
    h('option', { value: 'waiting' }, 'Waiting'),
    h('option', { value: 'delayed' }, 'Delayed (a retry waiting for its time)'),
    h('option', { value: 'active' }, 'Running'),
  );
  const jobsTable = h('div', { 'aria-live': 'polite' });
  const failuresTable = h('div', { 'aria-live': 'polite' });
  jobsSection.append(h('h2', { id: 'jobs-h' }, 'Jobs'), field('Show', jobState), jobsTable);
  failures.append(h('h2', { id: 'failures-h' }, 'Failures'), failuresTable);
  // The lists refresh with the page until "More" was used on one (then it stays as read, until Show changes or a Retry).
  const paged = { jobs: false, failures: false };
  const rules = h('section', { 'aria-labelledby': 'runs-h' });
  const status = statusLine();
  root.append(live, cards, status, jobsSection, failures, rules);
  const backlog: number[] = [];
  let stopped = false;

  const refresh = async () => {
    const s = await api.get<SyncStatus>('/sync/status');
    if (stopped) return;
    backlog.push(s.pending.total);
    if (backlog.length > 720) backlog.shift(); // an hour at one sample every 5 s
    const jobs = 'error' in s.jobs ? null : s.jobs;
    replace(
      cards,
      h(
        'div',
        { class: 'cards' },
        card('Pending changes', s.pending.total, 'pending-total'),
        card('Oldest pending (lag)', s.pending.oldestPendingAgeSeconds === null ? '—' : `${s.pending.oldestPendingAgeSeconds} s`, 'lag'),
        card('Jobs waiting / delayed / running', jobs ? `${jobs.waiting} / ${jobs.delayed} / ${jobs.active}` : '—', 'jobs'),
        card('Failed', jobs ? jobs.failed : '—', 'failed'),
        card('Completed, last hour', jobs?.completedLastHour ?? '—', 'completed-hour'),
        h('div', { class: 'card wide' }, h('span', { class: 'card-label' }, 'Backlog since this page opened'), sparkline(backlog)),
      ),
      'error' in s.jobs ? h('p', { class: 'bad' }, s.jobs.error) : null,
      h('p', {}, `Last successful evaluation: ${when(s.lastSuccessfulEvaluationAt)}`),
    );
    await Promise.all([paged.jobs ? null : loadJobs(), paged.failures ? null : loadFailures()]);
    if (stopped) return;
    const ruleRows = s.rules.map((r) =>
      row(
        r.name,
        r.kind,
        r.enabled ? 'enabled' : 'disabled',
        r.pending ? 'pending' : 'done',
        r.lastRun ? `${r.lastRun.outcome}: matched ${r.lastRun.matched}, +${r.lastRun.added} −${r.lastRun.removed} in ${r.lastRun.durationMs} ms · ${when(r.lastRun.finishedAt)}` : '—',
      ),
    );
    replace(rules, h('h2', { id: 'runs-h' }, 'Rule runs'), table(['Rule', 'Kind', 'State', 'Sync', 'Last full run'], ruleRows, "Each rule's last full run", 'No rules.'));
    live.textContent = `Refreshes every ${REFRESH_MS / 1000} s · updated ${new Date().toLocaleTimeString()}`;
  };

  const failureRow = (j: Failure) => {
    const retry = h('button', { type: 'button', 'aria-label': `Retry job ${j.id}` }, 'Retry');
    onAsync(retry, 'click', async () => {
      retry.disabled = true;
      try {
        const r = await api.post<{ jobId: string }>(`/sync/failures/${encodeURIComponent(j.id)}/retry`);
        status.textContent = `Job ${j.id} queued again as ${r.jobId}: it shows under Jobs until the worker has run it.`;
        paged.jobs = paged.failures = false;
        await refresh();
      } catch (err) {
        status.textContent = (err as ApiError).message;
        retry.disabled = false;
      }
    });
    const tr = row(j.name, h('code', {}, JSON.stringify(j.data)), h('span', { class: 'bad' }, j.error), j.attemptsMade, when(j.failedAt), retry);
    tr.dataset.jobId = j.id;
    return tr;
  };
  async function loadFailures(): Promise<void> {
    const path = withCursor('/sync/failures?limit=50');
    const load = async (cursor?: string): Promise<RowPage> => {
      if (cursor) paged.failures = true;
      const p = await firstRows<Failure>(path, cursor);
      return { rows: p.items.map(failureRow), next: p.nextCursor };
    };
    replace(failuresTable, await pagedTable(['Job', 'Object', 'Error', 'Attempts', 'Failed', ''], 'Jobs that failed after every retry, newest first', 'No failed jobs.', load));
  }
  async function loadJobs(): Promise<void> {
    const state = jobState.value;
    const path = withCursor(`/sync/jobs?state=${state}&limit=50`);
    const load = async (cursor?: string): Promise<RowPage> => {
      if (cursor) paged.jobs = true;
      const p = await firstRows<QueuedJob>(path, cursor);
      const rows = p.items.map((j) => {
        const tr = row(j.name, h('code', {}, JSON.stringify(j.data)), j.state, j.attemptsMade, when(j.enqueuedAt), j.dueAt ? when(j.dueAt) : '—');
        tr.dataset.jobId = j.id;
        return tr;
      });
      return { rows, next: p.nextCursor };
    };
    replace(
      jobsTable,
      await pagedTable(['Job', 'Object', 'State', 'Attempts', 'Queued', 'Due'], `This tenant's ${jobState.selectedOptions[0]?.textContent?.toLowerCase() ?? state} jobs`, `No ${state} jobs.`, load),
    );
  }
  jobState.addEventListener('change', () => {
    paged.jobs = false;
    void loadJobs().catch((err: ApiError) => replace(jobsTable, h('p', { class: 'bad' }, err.message)));
  });

  // setTimeout after each answer (not setInterval): a slow answer never stacks requests.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async () => {
    try {
      await refresh();
    } catch (err) {
      live.textContent = `Could not refresh: ${(err as ApiError).message}`;
    }
    if (!stopped) timer = setTimeout(() => void loop(), REFRESH_MS);
  };
  void loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
