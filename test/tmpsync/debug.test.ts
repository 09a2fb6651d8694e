import { openAppDatabase } from '../helpers/database';
import { newId } from '../../src/persistence/ids';

it('ferret cursor under concurrent updates', async () => {
  const db = await openAppDatabase();
  const c = db.connection.collection('cur');
  const docs = Array.from({ length: 300 }, (_, i) => ({ _id: newId('usr'), t: i % 3 === 0 ? 'Lead x' : 'Eng', sync: { pendingSince: new Date() } }));
  await c.insertMany(docs as never[]);
  const expected = docs.filter((d) => d.t.startsWith('Lead')).length;
  let stop = false;
  const writer = (async () => {
    let n = 0;
    while (!stop) {
      const d = docs[n++ % docs.length]!;
      await c.updateOne({ _id: d._id } as never, n % 2 ? { $unset: { 'sync.pendingSince': '' } } : { $set: { 'sync.pendingSince': new Date() } });
    }
  })();
  let seen = 0;
  const cursor = c.find({ $and: [{ t: { $regex: '^Lead', $options: 'i' } }, { active: { $ne: false } }] }).sort({ _id: 1 }).batchSize(5);
  for await (const _d of cursor) {
    seen++;
    await new Promise((r) => setTimeout(r, 5));
  }
  stop = true;
  await writer;
  console.log('expected', expected, 'seen', seen);
  await db.drop();
}, 60000);
