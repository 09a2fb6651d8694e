import { Coalescer } from '../../src/domain/coalescer';

/** A flush the test releases by hand, recording the batches it was given. */
function gatedFlush() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const flush = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((release) => gates.push(release));
  };
  const releaseNext = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, flush, releaseNext };
}

it('an idle coalescer flushes a lone item at once', async () => {
  const flushed: number[][] = [];
  const c = new Coalescer<number>(async (items) => {
    flushed.push(items);
  });
  await c.add(1);
  expect(flushed).toEqual([[1]]);
});

it('items added while a flush runs go together in the next flush, and each add settles with its own batch', async () => {
  const g = gatedFlush();
  const c = new Coalescer<number>(g.flush);
  const settled: number[] = [];
  const first = c.add(1).then(() => settled.push(1));
  const rest = [2, 3, 4].map((n) => c.add(n).then(() => settled.push(n)));
  expect(g.batches).toEqual([[1]]);
  await g.releaseNext();
  await first;
  expect(settled).toEqual([1]);
  expect(g.batches).toEqual([[1], [2, 3, 4]]);
  await g.releaseNext();
  await Promise.all(rest);
  expect(settled).toEqual([1, 2, 3, 4]);
});

it('a failed flush rejects the adds of that batch only; the next batch still runs', async () => {
  let calls = 0;
  let releaseFirst!: () => void;
  const c = new Coalescer<number>(async (items) => {
    calls++;
    if (calls === 1) await new Promise<void>((r) => (releaseFirst = r));
    if (items.includes(2)) throw new Error('batch with 2 failed');
  });
  const one = c.add(1);
  const two = c.add(2);
  const three = c.add(3);
  releaseFirst();
  await expect(one).resolves.toBeUndefined();
  await expect(two).rejects.toThrow('batch with 2 failed');
  await expect(three).rejects.toThrow('batch with 2 failed');
  await expect(c.add(4)).resolves.toBeUndefined();
});

it('a batch holds at most maxBatch items', async () => {
  const g = gatedFlush();
  const c = new Coalescer<number>(g.flush, 2);
  const adds = [1, 2, 3, 4, 5].map((n) => c.add(n));
  for (let i = 0; i < 3; i++) await g.releaseNext();
  await Promise.all(adds);
  expect(g.batches).toEqual([[1], [2, 3], [4, 5]]);
});
