import type { Models, ScimRequestRecord } from '../persistence/models';
import { repositoriesOf } from '../persistence/repositories';
import type { Logger } from '../observability/logger';

/**
 * Remembers, per SCIM token, the newest request the IdP made with it and its outcome, so the
 * console can answer "is Okta/Entra reaching us, and is it working?". An IdP sends bursts
 * (Entra ~1,000 requests a minute), so each process writes at most once per token every
 * MIN_INTERVAL_MS, except when the outcome changes between success and failure: a first error
 * after successes (or a recovery) is written at once. The write happens after the response.
 */
export const MIN_INTERVAL_MS = 5000;

export class ScimTokenActivity {
  private readonly lastWritten = new Map<string, { at: number; failed: boolean }>();

  constructor(
    private readonly models: Models,
    private readonly logger: Logger,
  ) {}

  record(tokenId: string, request: ScimRequestRecord): void {
    const failed = request.status >= 400;
    const previous = this.lastWritten.get(tokenId);
    const now = request.at.getTime();
    if (previous && previous.failed === failed && now - previous.at < MIN_INTERVAL_MS) return;
    if (this.lastWritten.size > 10_000) this.lastWritten.clear();
    this.lastWritten.set(tokenId, { at: now, failed });
    repositoriesOf(this.models)
      .scimTokens.recordLastRequest(tokenId, request)
      .catch((err: unknown) => this.logger.warn("could not record the SCIM token's last request", { err, tokenId }));
  }
}
