import type { MemberImportDoc, Models } from './models';

/** Previewed CSV member imports (indexes: `_id`; `tenantId, groupId`). */
export class MemberImportsRepository {
  constructor(private readonly models: Models) {}

  private get collection() {
    return this.models.MemberImport.collection;
  }

  async insert(doc: MemberImportDoc): Promise<void> {
    await this.collection.insertOne(doc as never);
  }

  async findOfGroup(tenantId: string, groupId: string, importId: string): Promise<MemberImportDoc | null> {
    return (await this.collection.findOne({ _id: importId, tenantId, groupId } as never)) as MemberImportDoc | null;
  }

  /** Marks a previewed import applied; null when it was applied already (it applies once). */
  async claimForApply(tenantId: string, groupId: string, importId: string, appliedAt: Date, appliedBy: string | undefined): Promise<MemberImportDoc | null> {
    return (await this.collection.findOneAndUpdate(
      { _id: importId, tenantId, groupId, status: 'previewed' } as never,
      { $set: { status: 'applied', appliedAt, appliedBy } },
      { returnDocument: 'after' },
    )) as MemberImportDoc | null;
  }

  /** Replaces the rows with what confirming really did. */
  async setRows(tenantId: string, importId: string, rows: MemberImportDoc['rows']): Promise<void> {
    await this.collection.updateOne({ _id: importId, tenantId } as never, { $set: { rows } });
  }

  async deleteOfGroup(tenantId: string, groupId: string): Promise<void> {
    await this.collection.deleteMany({ tenantId, groupId });
  }
}
