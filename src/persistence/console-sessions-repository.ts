import type { ConsoleLinkDoc, ConsoleSessionDoc, Models } from './models';

/**
 * The operator console's one-time sign-in links and its sessions (indexes: `_id`, the SHA-256 of
 * the secret; `expiresAt` TTL on both, so expired ones are removed by the database).
 */
export class ConsoleSessionsRepository {
  constructor(private readonly models: Models) {}

  async insertLink(doc: ConsoleLinkDoc): Promise<void> {
    await this.models.ConsoleLink.collection.insertOne(doc as never);
  }

  /** Marks the link used if it is unused and unexpired, in one atomic update; null otherwise (so two clicks make one session). */
  async redeemLink(linkId: string, now: Date): Promise<ConsoleLinkDoc | null> {
    return (await this.models.ConsoleLink.collection.findOneAndUpdate(
      { _id: linkId, usedAt: { $exists: false }, expiresAt: { $gt: now } } as never,
      { $set: { usedAt: now } },
      { returnDocument: 'after' },
    )) as ConsoleLinkDoc | null;
  }

  async insertSession(doc: ConsoleSessionDoc): Promise<void> {
    await this.models.ConsoleSession.collection.insertOne(doc as never);
  }

  async findSession(sessionKey: string): Promise<ConsoleSessionDoc | null> {
    return (await this.models.ConsoleSession.collection.findOne({ _id: sessionKey } as never)) as ConsoleSessionDoc | null;
  }

  async endSession(sessionKey: string, endedAt: Date): Promise<void> {
    await this.models.ConsoleSession.collection.updateOne({ _id: sessionKey } as never, { $set: { endedAt } });
  }
}
