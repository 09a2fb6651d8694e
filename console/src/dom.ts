/** A tiny element builder: the console has no framework, and never sets innerHTML from data. */
type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
/** A unique id, to tie a <label for> to its control. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled control: every input of the console has a visible label. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid('f');
  control.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

export function when(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  const seconds = Math.round((Date.now() - d.getTime()) / 1000);
  const ago =
    seconds < 60
      ? `${Math.max(0, seconds)} s ago`
      : seconds < 3600
        ? `${Math.round(seconds / 60)} min ago`
        : seconds < 86400
          ? `${Math.round(seconds / 3600)} h ago`
          : `${Math.round(seconds / 86400)} d ago`;
  return `${d.toLocaleString()} (${ago})`;
}

/** A status line read out by screen readers when it changes. */
export function statusLine(className = 'status'): HTMLElement {
  return h('p', { class: className, role: 'status', 'aria-live': 'polite' });
}

/** Each cell labelled with its column's header (`data-label`): on a narrow screen a row stacks as "header: value" lines. */
function labelCells(headers: string[], rows: HTMLTableRowElement[]): HTMLTableRowElement[] {
  for (const r of rows) Array.from(r.cells).forEach((cell, i) => headers[i] !== undefined && cell.setAttribute('data-label', headers[i]));
  return rows;
}

export function table(headers: string[], rows: HTMLTableRowElement[], caption: string, empty = 'Nothing yet.'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h('tbody', {}, labelCells(headers, rows)),
  );
}

/** One page of a cursor-paged list, as table rows. */
export interface RowPage {
  rows: HTMLTableRowElement[];
  next: string | null;
  /** How many there are in all, when the API says. */
  total?: number | null;
}

/**
 * A cursor-paged table: "More" appends the next page's rows to the same table (never a second
 * table), and a status line says how many are shown (of how many, when known).
 */
export async function pagedTable(headers: string[], caption: string, empty: string, load: (cursor?: string) => Promise<RowPage>): Promise<HTMLElement> {
  const first = await load();
  if (first.rows.length === 0) return h('p', { class: 'empty' }, empty);
  const body = h('tbody', {}, labelCells(headers, first.rows));
  const count = h('span', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary' }, 'More');
  let shown = first.rows.length;
  let next = first.next;
  let total = first.total;
  const update = () => {
    count.textContent = total !== undefined && total !== null ? `Showing ${shown} of ${total}` : next ? `Showing ${shown}` : `Showing all ${shown}`;
    more.hidden = next === null;
  };
  more.addEventListener('click', () => {
    if (next === null) return;
    more.disabled = true;
    void load(next)
      .then((p) => {
        body.append(...labelCells(headers, p.rows));
        shown += p.rows.length;
        next = p.next;
        if (p.total !== undefined) total = p.total;
        update();
      })
      .catch((err: Error) => (count.textContent = err.message))
      .finally(() => (more.disabled = false));
  });
  update();
  return h(
    'div',
    { class: 'paged' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      body,
    ),
    h('div', { class: 'more' }, count, more),
  );
}

export const row = (...cells: (Child | Child[])[]) =>
  h(
    'tr',
    {},
    cells.map((c) => h('td', {}, c)),
  );

/** Runs fn after the user paused typing for `ms`. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * Listens with an async handler. A handler's own failures are its to show (most write them to their
 * status line); one it did not catch is reported through a 'console:failed' event, which the shell
 * shows in an alert above the page, rather than lost as an unhandled rejection.
 */
export function onAsync<E extends Event>(el: EventTarget, type: string, handler: (ev: E) => Promise<void>): void {
  el.addEventListener(type, (ev) => {
    handler(ev as E).catch((err: unknown) => {
      window.dispatchEvent(new CustomEvent('console:failed', { detail: err instanceof Error ? err.message : String(err) }));
    });
  });
}
