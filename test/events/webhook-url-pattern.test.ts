import fc from 'fast-check';
import { parseTargetUrl, WEBHOOK_URL } from '../../src/domain/webhooks/target-guard';

/**
 * The admin API states WEBHOOK_URL as the pattern of a webhook's url; every text it matches must be a
 * URL the domain takes (parseTargetUrl), or a client that follows the document is refused. Texts are
 * drawn from the pattern itself (fast-check's stringMatching), seeded; the seed is printed.
 */
const SEED = 1907;

describe('webhook url: what the document allows, the domain takes', () => {
  beforeAll(() => console.log(`webhook-url-pattern: fast-check seed ${SEED}`));

  it('every text matching WEBHOOK_URL parses as an http(s) target without credentials', () => {
    fc.assert(
      fc.property(fc.stringMatching(WEBHOOK_URL), (url) => {
        expect(() => parseTargetUrl(url)).not.toThrow();
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('keeps the URLs receivers use and refuses what the domain refuses', () => {
    for (const ok of ['http://127.0.0.1:43053/hooks', 'https://hooks.example.com/x?y=1#z', 'http://localhost:8080']) expect(WEBHOOK_URL.test(ok)).toBe(true);
    for (const bad of ['ftp://example.com/x', 'http://user:pw@example.com', 'http://256.1.1.1', 'http://a.0x1', 'http://xn--a.com', 'http://a:65536', '']) expect(WEBHOOK_URL.test(bad)).toBe(false);
  });
});
