import { Batcher } from '../../src/domain/batcher';

/** A flush that records its batches and answers each item with itself doubled. */
function recordingFlush() {
  const batches: number[][] = [];
  const flush = async (items: number[]) => {
    batches.push(items);
    return items.map((n) => n * 2);
  };
  return { batches, flush };
}

it('without a linger, an idle batcher flushes a lone submission at once and answers each caller with its own outcomes', async () => {
  const r = recordingFlush();
  const b = new Batcher<number, number>(r.flush);
  expect(await b.submit([1, 2])).toEqual([2, 4]);
  expect(r.batches).toEqual([[1, 2]]);
});

describe('with a linger', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('submissions within the linger go in one flush, after it, each caller answered with its own', async () => {
    const r = recordingFlush();
    const b = new Batcher<number, number>(r.flush, 100, 50);
    const first = b.one(1);
    await jest.advanceTimersByTimeAsync(30);
    const second = b.submit([2, 3]);
    expect(r.batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(20);
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(await first).toBe(2);
    expect(await second).toEqual([4, 6]);
  });

  it('a full batch does not wait for the linger', async () => {
    const r = recordingFlush();
    const b = new Batcher<number, number>(r.flush, 3, 10_000);
    const answers = [b.one(1), b.one(2), b.one(3)];
    await jest.advanceTimersByTimeAsync(0);
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(await Promise.all(answers)).toEqual([2, 4, 6]);
  });

  it('drained() flushes what lingers now and resolves once it is written', async () => {
    const r = recordingFlush();
    const b = new Batcher<number, number>(r.flush, 100, 10_000);
    const answer = b.one(5);
    const drained = b.drained();
    await jest.advanceTimersByTimeAsync(0);
    await drained;
    expect(r.batches).toEqual([[5]]);
    expect(await answer).toBe(10);
    // Idle again: the next submission lingers afresh.
    void b.one(6);
    await jest.advanceTimersByTimeAsync(0);
    expect(r.batches).toEqual([[5]]);
    await b.drained();
    expect(r.batches).toEqual([[5], [6]]);
  });

  it('drained() called during a flush lets no later flush linger', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const b = new Batcher<number, null>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return items.map(() => null);
      },
      100,
      10_000,
    );
    void b.one(1);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(batches).toEqual([[1]]);
    void b.one(2);
    let done = false;
    const drained = b.drained().then(() => (done = true));
    release();
    await jest.advanceTimersByTimeAsync(0);
    await drained;
    expect(done).toBe(true);
    expect(batches).toEqual([[1], [2]]);
  });
});
