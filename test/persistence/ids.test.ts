import fc from 'fast-check';
import { newId, newTimeOrderedId } from '../../src/persistence/ids';

/**
 * Time-ordered ids (src/persistence/ids.ts): a later millisecond always sorts after an earlier one,
 * whatever the random part, and the id looks like newId's (same prefix, length and characters), so
 * nothing that stores, parses or validates ids can tell them apart. Seeded (FC_SEED reruns a failure).
 */
const SEED = Number(process.env.FC_SEED ?? 20261207);
const TIME = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const BASE64URL = /^[A-Za-z0-9_-]+$/;

it('orders ids by their time in milliseconds, as strings compare, whatever the random part', () => {
  fc.assert(
    fc.property(TIME, TIME, (t1, t2) => {
      fc.pre(t1 !== t2);
      const [a, b] = [newTimeOrderedId('evt', 16, t1), newTimeOrderedId('evt', 16, t2)];
      expect(a < b).toBe(t1 < t2);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

it('has the prefix, the length and the characters of newId with as many bytes', () => {
  fc.assert(
    fc.property(TIME, fc.constantFrom(12, 16), (t, bytes) => {
      const id = newTimeOrderedId('usr', bytes, t);
      const plain = newId('usr', bytes);
      expect(id.length).toBe(plain.length);
      expect(id.startsWith('usr_')).toBe(true);
      expect(id.slice(4)).toMatch(BASE64URL);
    }),
    { seed: SEED, numRuns: 500 },
  );
});

it('keeps at least 6 random bytes: two ids of one millisecond differ, across refills of the random pool', () => {
  const now = Date.UTC(2026, 11, 7);
  // 6 and 10 random bytes in turn: the 4 KiB pool is refilled about 40 times, at uneven offsets.
  const ids = new Set(Array.from({ length: 20_000 }, (_, i) => newTimeOrderedId('usr', i % 2 ? 16 : 12, now)));
  expect(ids.size).toBe(20_000);
  expect(() => newTimeOrderedId('whd', 9)).toThrow(/at least 12 bytes/);
});
