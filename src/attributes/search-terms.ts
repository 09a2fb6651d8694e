import type { StoredAttrs } from './validate';

/**
 * The words a person is found by in the console's people search (`lc.terms`, a multikey index with
 * the tenant): every string value of the user's stored attributes (core, enterprise and custom
 * extensions, sub-attributes such as name.givenName and emails.value), lower-cased and trimmed,
 * whole and split into words (at blanks, `@` and punctuation that never joins a word). A search
 * matches whole words or whole values, so it is an equality on the index and pages by `_id`
 * without an in-memory sort: "noah", "rossi", "noah rossi", "noah.rossi@acme.example",
 * "acme.example", "emp-4711" all find Noah Rossi (emp-4711 being his employeeNumber).
 */
const SKIPPED = new Set(['password', 'schemas', 'groups', 'id', 'meta', 'x509Certificates', 'photos']);

/** Longest whole value and word kept; longer ones are not search terms. */
const MAX_TERM = 128;
/** At most this many terms per user (the first ones found: core attributes come first). */
const MAX_TERMS = 200;

const WORD_SEPARATORS = /[\s@,;:()"'<>[\]{}|/\\]+/;

export function searchTermsOf(attrs: StoredAttrs): string[] {
  const terms = new Set<string>();
  const add = (text: string) => {
    const whole = text.trim().toLowerCase();
    if (whole === '' || terms.size >= MAX_TERMS) return;
    if (whole.length <= MAX_TERM) terms.add(whole);
    for (const word of whole.split(WORD_SEPARATORS)) if (word !== '' && word.length <= MAX_TERM && terms.size < MAX_TERMS) terms.add(word);
  };
  const walk = (value: unknown, depth: number): void => {
    if (depth > 4) return;
    if (typeof value === 'string') add(value);
    else if (typeof value === 'number' && Number.isFinite(value)) add(String(value));
    else if (Array.isArray(value)) value.forEach((v) => walk(v, depth + 1));
    else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const [key, v] of Object.entries(value)) if (!SKIPPED.has(key)) walk(v, depth + 1);
    }
  };
  walk(attrs, 0);
  return [...terms];
}

/** A search query as the terms it must all match: lower-cased words, at most 8, each at most MAX_TERM characters. */
export function queryTerms(query: string): string[] {
  const words = query
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[,;:()"']+|[,;:()"']+$/g, ''))
    .filter((w) => w !== '');
  return [...new Set(words)].slice(0, 8).map((w) => w.slice(0, MAX_TERM));
}
