import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../../errors/app-error';

/** Where a webhook must not go unless the operator allows it: loopback, private, link-local, unspecified, multicast, CGNAT. */
const forbidden = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  forbidden.addSubnet(net, prefix, 'ipv6');

function isForbiddenAddress(address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const mapped = family === 'ipv6' && /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? forbidden.check(mapped[1]!, 'ipv4') : forbidden.check(address, family);
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const LABEL = '[A-Za-z0-9](?:-?[A-Za-z0-9])*';
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})';
/**
 * The webhook URLs the admin API takes (its schema states this pattern): http or https, a host name
 * (labels of letters and digits, single hyphens inside, the last starting with a letter: never read as
 * an IPv4 number, never an IDN xn-- label the URL parser may refuse) or a dotted IPv4 address, an
 * optional port of at most 4 digits, then printable ASCII. Every such text is a URL parseTargetUrl takes
 * (test/events/webhook-url-pattern.test.ts); whether its host may be called is assertPublicTarget's.
 */
export const WEBHOOK_URL = new RegExp(`^https?://(?:(?:${LABEL}\\.)*[A-Za-z](?:-?[A-Za-z0-9])*|(?:${OCTET}\\.){3}${OCTET})(?::${PORT})?(?:[/?#][!-~]*)?$`);

/** The URL as a webhook target: http(s), no credentials. Throws 400 WEBHOOK_URL_INVALID. */
export function parseTargetUrl(text: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(text));
  } catch {
    throw new AppError('badRequest', 'WEBHOOK_URL_INVALID', '"url" must be an absolute http or https URL', { details: { field: 'url' } });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw new AppError('badRequest', 'WEBHOOK_URL_INVALID', '"url" must be an http or https URL without credentials', { details: { field: 'url' } });
  }
  return url;
}

/**
 * Refuses targets that resolve to a private, loopback or link-local address (SSRF: a tenant
 * admin must not make our worker call the internal network), unless `allowPrivate`. Checked when
 * an endpoint is saved and again before every delivery (DNS may change); redirects are not followed.
 */
export async function assertPublicTarget(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new AppError('badRequest', 'WEBHOOK_TARGET_UNRESOLVED', `The host ${host} does not resolve`, { details: { field: 'url' } });
  const bad = addresses.filter(isForbiddenAddress);
  if (bad.length) {
    throw new AppError(
      'badRequest',
      'WEBHOOK_TARGET_FORBIDDEN',
      `The host ${host} resolves to a private, loopback or link-local address (${bad.join(', ')}); set WEBHOOKS_ALLOW_PRIVATE_TARGETS=true to allow it`,
      { details: { field: 'url', addresses: bad } },
    );
  }
}
