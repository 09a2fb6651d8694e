import { api, ApiError, qs } from '../api.js';
import { field, h, pagedTable, replace, row, statusLine, table, when } from '../dom.js';
import type { Page } from '../main.js';

interface Endpoint {
  id: string;
  url: string;
  types: string[];
  enabled: boolean;
  state: 'active' | 'failing';
  failingSince: string | null;
  deliveredThrough: string;
  retry: { eventSeq: number; attempts: number; nextAttemptAt: string } | null;
  secrets: { hint: string; expiresAt: string | null }[];
}
interface Delivery {
  id: string;
  eventId: string;
  seq: number | null;
  attempt: number;
  manual: boolean;
  at: string;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

/** Webhook endpoints (docs/events.md): add one (its secret shown once), rotate, enable, test, the delivery log and redelivery. */
export const renderWebhooks: Page = (root) => {
  const status = statusLine();
  const secretBox = h('section', { 'aria-live': 'polite', 'aria-label': 'Signing secret' });
  const list = h('section', { 'aria-labelledby': 'endpoints-h' });
  const log = h('section', { 'aria-live': 'polite', 'aria-label': 'Delivery log' });
  const url = h('input', { type: 'url', name: 'url', placeholder: 'https://example.com/webhooks', required: true });
  const types = h('input', { type: 'text', name: 'types', placeholder: 'user.created, group.member_added' });
  const form = h('form', { class: 'filters' }, field('Endpoint URL', url), field('Event types', types, 'Comma-separated; empty sends every type'), h('button', { type: 'submit' }, 'Add endpoint'));
  root.append(form, status, secretBox, h('h2', { id: 'endpoints-h' }, 'Endpoints'), list, log);

  const fail = (err: unknown) => replace(status, h('span', { class: 'bad' }, err instanceof ApiError ? err.message : String(err)));
  const showSecret = (label: string, secret: string) =>
    replace(secretBox, field(label, h('input', { type: 'text', readonly: true, value: secret, class: 'secret' }), 'Shown once: store it in your receiver now (Standard Webhooks signing secret).'));

  const showLog = async (ep: Endpoint) => {
    const toRow = (d: Delivery) => {
      const redeliver = h('button', { type: 'button', class: 'secondary', 'aria-label': `Redeliver event ${d.eventId}` }, 'Redeliver');
      redeliver.addEventListener(
        'click',
        () =>
          void api
            .post<Delivery>(`/webhooks/${ep.id}/redeliver`, { eventId: d.eventId })
            .then((r) => replace(status, `Event ${d.eventId} redelivered: ${r.ok ? `${r.status} in ${r.latencyMs} ms` : `failed (${r.status ?? r.error})`}`))
            .then(() => showLog(ep))
            .catch(fail),
      );
      return row(
        when(d.at),
        h('code', {}, d.eventId),
        d.manual ? `${d.attempt} (manual)` : String(d.attempt),
        d.ok ? `${d.status} OK` : d.status !== null ? `${d.status} failed` : 'failed',
        `${d.latencyMs} ms`,
        (d.error ?? d.responseExcerpt ?? '').slice(0, 120),
        d.seq !== null ? redeliver : null,
      );
    };
    // A page at a time ("More"), by the log's cursor.
    const page = async (cursor?: string) => {
      const res = await api.get<{ items: Delivery[]; nextCursor: string | null }>(`/webhooks/${ep.id}/deliveries${qs({ limit: 50, cursor })}`);
      return { next: res.nextCursor, rows: res.items.map(toRow) };
    };
    replace(
      log,
      h('h2', {}, `Deliveries to ${ep.url}`),
      await pagedTable(['When', 'Event (webhook-id)', 'Attempt', 'Status', 'Latency', 'Answer', ''], 'Delivery attempts, newest first', 'No deliveries yet.', page),
    );
  };

  const load = async () => {
    const { items } = await api.get<{ items: Endpoint[] }>('/webhooks');
    const rows = items.map((ep) => {
      const button = (label: string, aria: string, action: () => Promise<unknown>) => {
        const b = h('button', { type: 'button', class: 'secondary', 'aria-label': aria }, label);
        b.addEventListener('click', () => void action().then(load).catch(fail));
        return b;
      };
      const state = ep.state === 'failing' ? h('span', { class: 'bad' }, `failing since ${when(ep.failingSince)}`) : ep.enabled ? 'active' : 'disabled';
      return row(
        h('code', {}, ep.url),
        ep.types.length ? ep.types.join(', ') : 'all',
        state,
        ep.retry ? `retrying event #${ep.retry.eventSeq} (attempt ${ep.retry.attempts}), next ${when(ep.retry.nextAttemptAt)}` : '—',
        h(
          'div',
          { class: 'actions' },
          ep.enabled && ep.state === 'active'
            ? button('Disable', `Disable ${ep.url}`, () => api.patch(`/webhooks/${ep.id}`, { enabled: false }).then(() => replace(status, `${ep.url} disabled`)))
            : button('Enable', `Enable ${ep.url}`, () => api.patch(`/webhooks/${ep.id}`, { enabled: true }).then(() => replace(status, `${ep.url} enabled: held events resume in order`))),
          button('Send test event', `Send test event to ${ep.url}`, () =>
            api.post<Delivery>(`/webhooks/${ep.id}/test`).then((d) => replace(status, `Test event to ${ep.url}: ${d.ok ? `${d.status} in ${d.latencyMs} ms` : `failed (${d.status ?? d.error})`}`)),
          ),
          button('Rotate secret', `Rotate secret of ${ep.url}`, () =>
            api.post<Endpoint & { secret: string }>(`/webhooks/${ep.id}/rotate-secret`, { overlapHours: 24 }).then((r) => {
              showSecret(`New signing secret of ${ep.url}`, r.secret);
              replace(status, `Secret of ${ep.url} rotated; the previous one keeps signing for 24 h`);
            }),
          ),
          button('Deliveries', `Deliveries to ${ep.url}`, () => showLog(ep)),
        ),
      );
    });
    replace(list, table(['URL', 'Event types', 'State', 'Retry', 'Actions'], rows, 'Webhook endpoints', 'No endpoints yet.'));
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const wanted = types.value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    void api
      .post<Endpoint & { secret: string }>('/webhooks', { url: url.value.trim(), types: wanted })
      .then((created) => {
        showSecret(`Signing secret of ${created.url}`, created.secret);
        replace(status, `Endpoint ${created.url} added`);
        url.value = '';
        types.value = '';
        return load();
      })
      .catch(fail);
  });
  void load().catch(fail);
};
