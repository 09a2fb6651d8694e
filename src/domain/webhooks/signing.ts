import { createHmac, randomBytes } from 'node:crypto';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 24 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The Standard Webhooks headers of one attempt (https://www.standardwebhooks.com): the message id
 * (the event's id: the same on every attempt, so receivers can drop duplicates), the attempt's
 * time, and one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per valid secret (during a
 * rotation's overlap both secrets sign, so a receiver with either verifies).
 */
export function signedHeaders(msgId: string, body: string, secrets: readonly string[], now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    return `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`;
  });
  return { 'webhook-id': msgId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
