import type { Models, WebhookDeliveryDoc, WebhookEndpointDoc } from './models';

/** Webhook endpoints (`tenantId, createdAt`; `enabled, state`) and their delivery log (`tenantId, endpointId, at`). */
export class WebhooksRepository {
  constructor(private readonly models: Models) {}

  private get endpoints() {
    return this.models.WebhookEndpoint.collection;
  }

  async insert(doc: WebhookEndpointDoc): Promise<void> {
    await this.endpoints.insertOne(doc as never);
  }

  async find(tenantId: string, id: string): Promise<WebhookEndpointDoc | null> {
    return (await this.endpoints.findOne({ _id: id, tenantId } as never)) as unknown as WebhookEndpointDoc | null;
  }

  async list(tenantId: string): Promise<WebhookEndpointDoc[]> {
    return (await this.endpoints
      .find({ tenantId } as never)
      .sort({ tenantId: 1, createdAt: 1 })
      .toArray()) as unknown as WebhookEndpointDoc[];
  }

  /** Sets fields (and unsets those given as undefined); the endpoint as it is now, null when there is none. */
  async update(tenantId: string, id: string, set: Partial<WebhookEndpointDoc>, unset: (keyof WebhookEndpointDoc)[] = []): Promise<WebhookEndpointDoc | null> {
    return (await this.endpoints.findOneAndUpdate(
      { _id: id, tenantId } as never,
      { $set: { ...set, updatedAt: new Date() }, ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, ''])) } : {}) },
      { returnDocument: 'after' },
    )) as unknown as WebhookEndpointDoc | null;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return (await this.endpoints.deleteOne({ _id: id, tenantId } as never)).deletedCount === 1;
  }

  /** Enabled endpoints that are not failing (their retry time may not have come: the caller checks). */
  async deliverable(limit: number): Promise<WebhookEndpointDoc[]> {
    return (await this.endpoints
      .find({ enabled: true, state: 'active' } as never)
      .limit(limit)
      .toArray()) as unknown as WebhookEndpointDoc[];
  }

  /** Takes the endpoint's delivery lease (one deliverer per endpoint keeps its events in order); null when another holds it. */
  async takeLease(tenantId: string, id: string, owner: string, leaseMs: number, now = new Date()): Promise<WebhookEndpointDoc | null> {
    return (await this.endpoints.findOneAndUpdate(
      { _id: id, tenantId, $or: [{ lease: { $exists: false } }, { 'lease.until': { $lt: now } }, { 'lease.owner': owner }] } as never,
      { $set: { lease: { owner, until: new Date(now.getTime() + leaseMs) } } },
      { returnDocument: 'after' },
    )) as unknown as WebhookEndpointDoc | null;
  }

  async releaseLease(tenantId: string, id: string, owner: string): Promise<void> {
    await this.endpoints.updateOne({ _id: id, tenantId, 'lease.owner': owner } as never, { $unset: { lease: '' } });
  }

  /**
   * Records the outcome of a delivery round, for the lease's owner only, and only while the
   * cursor is still `fromCursor` (a redelivery that moved it meanwhile wins over the round).
   */
  async settle(tenantId: string, id: string, owner: string, fromCursor: number, set: Partial<WebhookEndpointDoc>, unset: (keyof WebhookEndpointDoc)[]): Promise<boolean> {
    const r = await this.endpoints.updateOne({ _id: id, tenantId, 'lease.owner': owner, cursor: fromCursor } as never, {
      $set: { ...set, updatedAt: new Date() },
      ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, ''])) } : {}),
    });
    return r.modifiedCount === 1;
  }

  /** Endpoints marked failing, across tenants (the metric, read at scrape time; index `enabled, state`). */
  async countFailing(): Promise<number> {
    return this.endpoints.countDocuments({ enabled: { $in: [true, false] }, state: 'failing' });
  }

  async logDelivery(doc: WebhookDeliveryDoc): Promise<void> {
    await this.models.WebhookDelivery.collection.insertOne(doc as never);
  }

  async logDeliveries(docs: readonly WebhookDeliveryDoc[]): Promise<void> {
    if (docs.length > 0) await this.models.WebhookDelivery.collection.insertMany(docs as never[], { ordered: false });
  }

  /**
   * The endpoint's deliveries newest first, by (at, _id), after `after` (the last of the previous
   * page) when given: index `tenantId, endpointId, at, _id`.
   */
  async deliveries(tenantId: string, endpointId: string, limit: number, after?: { at: Date; id: string }): Promise<WebhookDeliveryDoc[]> {
    const filter: Record<string, unknown> = { tenantId, endpointId };
    if (after) filter.$or = [{ at: { $lt: after.at } }, { at: after.at, _id: { $lt: after.id } }];
    return (await this.models.WebhookDelivery.collection
      .find(filter as never)
      .sort({ tenantId: 1, endpointId: 1, at: -1, _id: -1 })
      .limit(limit)
      .toArray()) as unknown as WebhookDeliveryDoc[];
  }
}
