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
    const b = new Batcher<number, number>(r.flush, { maxBatch: 100, lingerMs: 50 });
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
    const b = new Batcher<number, number>(r.flush, { maxBatch: 3, lingerMs: 10_000 });
    const answers = [b.one(1), b.one(2), b.one(3)];
    await jest.advanceTimersByTimeAsync(0);
    expect(r.batches).toEqual([[1, 2, 3]]);
    expect(await Promise.all(answers)).toEqual([2, 4, 6]);
  });

  it('drained() flushes what lingers now and resolves once it is written', async () => {
    const r = recordingFlush();
    const b = new Batcher<number, number>(r.flush, { maxBatch: 100, lingerMs: 10_000 });
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
      { maxBatch: 100, lingerMs: 10_000 },
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

/** A flush whose calls each wait until released, in any order. */
function heldFlush() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  let running = 0;
  let mostRunning = 0;
  const flush = async (items: number[]) => {
    batches.push(items);
    running++;
    mostRunning = Math.max(mostRunning, running);
    await new Promise<void>((r) => releases.push(r));
    running--;
    return items.map((n) => n * 2);
  };
  return { batches, releases, flush, mostRunning: () => mostRunning };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('concurrent flushes', () => {
  it('by default a flush waits for the one running, and then carries everything queued meanwhile', async () => {
    const f = heldFlush();
    const b = new Batcher<number, number>(f.flush);
    const first = b.one(1);
    await settle();
    const second = b.one(2);
    const third = b.one(3);
    await settle();
    expect(f.batches).toEqual([[1]]);
    f.releases[0]!();
    await settle();
    expect(f.batches).toEqual([[1], [2, 3]]);
    f.releases[1]!();
    expect(await Promise.all([first, second, third])).toEqual([2, 4, 6]);
    expect(f.mostRunning()).toBe(1);
  });

  it('with two allowed, a submission made while one flush runs starts at once; a third waits for a free slot', async () => {
    const f = heldFlush();
    const b = new Batcher<number, number>(f.flush, { concurrentFlushes: 2 });
    const first = b.one(1);
    await settle();
    const second = b.one(2);
    await settle();
    expect(f.batches).toEqual([[1], [2]]);
    const third = b.one(3);
    const fourth = b.one(4);
    await settle();
    expect(f.batches).toEqual([[1], [2]]);
    // The second ends first: its caller is answered, and the queued ones go together into the free slot.
    f.releases[1]!();
    expect(await second).toBe(4);
    await settle();
    expect(f.batches).toEqual([[1], [2], [3, 4]]);
    let drained = false;
    const idle = b.drained().then(() => (drained = true));
    f.releases[0]!();
    expect(await first).toBe(2);
    await settle();
    expect(drained).toBe(false);
    f.releases[2]!();
    expect(await Promise.all([third, fourth])).toEqual([6, 8]);
    await idle;
    expect(f.mostRunning()).toBe(2);
  });

  it('a failing flush rejects its own callers only; the flush beside it answers its own', async () => {
    let calls = 0;
    const releases: (() => void)[] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        const call = ++calls;
        await new Promise<void>((r) => releases.push(r));
        if (call === 1) throw new Error('write refused');
        return items.map((n) => n * 2);
      },
      { concurrentFlushes: 2 },
    );
    const failing = b.one(1);
    await settle();
    const fine = b.one(2);
    await settle();
    releases[1]!();
    releases[0]!();
    await expect(failing).rejects.toThrow('write refused');
    expect(await fine).toBe(4);
    await b.drained();
  });
});
