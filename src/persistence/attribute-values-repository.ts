import type { AttributeValueDoc, Models } from './models';
import { newTimeOrderedId } from './ids';
import { duplicateKeyIndexes, isDuplicateKeyError } from './duplicate-key';

/**
 * The values seen per attribute (index `tenantId, attr, lc` unique). Written with upserts that
 * only insert (a value is recorded once, whoever writes it first); read by equality or as a
 * bounded run of the index in value order, never by scanning users.
 */
export class AttributeValuesRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.AttributeValue.collection;
  }

  async record(tenantId: string, values: readonly { attr: string; value: string }[]): Promise<void> {
    if (values.length === 0) return;
    const now = new Date();
    try {
      await this.collection.bulkWrite(
        values.map(({ attr, value }) => ({
          updateOne: {
            filter: { tenantId, attr, lc: value.toLowerCase() },
            update: { $setOnInsert: { _id: newTimeOrderedId('atv'), value, firstSeenAt: now } },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    } catch (err) {
      // Two writers inserting the same new value at once: one upsert wins, the other's is a duplicate key (it is recorded either way).
      if (!isDuplicateKeyError(err) && !duplicateKeyIndexes(err)) throw err;
    }
  }

  /** Which of these lower-cased values of `attr` were seen (one index equality with $in). */
  async seen(tenantId: string, attr: string, lcValues: readonly string[]): Promise<Set<string>> {
    const docs = (await this.collection.find({ tenantId, attr, lc: { $in: [...lcValues] } } as never, { projection: { lc: 1 } }).toArray()) as unknown as Pick<AttributeValueDoc, 'lc'>[];
    return new Set(docs.map((d) => d.lc));
  }

  /** Up to `limit` values of `attr` from `from` on (lower-cased), in value order; backwards with `before`. */
  async run(tenantId: string, attr: string, bound: { from?: string; before?: string }, limit: number): Promise<string[]> {
    const filter: Record<string, unknown> = { tenantId, attr };
    if (bound.from !== undefined) filter.lc = { $gte: bound.from };
    if (bound.before !== undefined) filter.lc = { $lt: bound.before };
    const docs = (await this.collection
      .find(filter as never, { projection: { value: 1 } })
      .sort({ lc: bound.before !== undefined ? -1 : 1 })
      .limit(limit)
      .toArray()) as unknown as Pick<AttributeValueDoc, 'value'>[];
    return docs.map((d) => d.value);
  }
}
