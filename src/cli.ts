import { loadConfig } from './config/config';
import { connectDatabase } from './persistence/mongo';
import { repositoriesOf } from './persistence/repositories';
import { createTenant } from './domain/tenants';
import { issueScimToken, revokeScimToken } from './auth/scim-token';
import { ORG_ROLES, signAdminToken, type OrgRole } from './auth/admin-jwt';
import { cliBaseUrl, useLocalJwtSecret, useLocalServices } from './local-env';
import { CONSOLE_LINK_TTL_SECONDS, issueConsoleLink } from './auth/console-sessions';

import { backfillSearchTerms } from './domain/people/search-terms-backfill';

const USAGE = `usage: npm run cli -- <command>
  tenants create <name>                         create a tenant with its default groups; prints {tenantId, scimBaseUrl, scimToken}
  tenants list                                  list tenants
  tokens scim --tenant <id> [--label <text>]    issue another SCIM token for a tenant (rotation)
  tokens revoke --tenant <id> --token <tokId>   revoke a SCIM token
  tokens admin --tenant <id> [--sub <userId>] [--role admin|member|customer-admin|customer] [--ttl <seconds>]
                                                print an admin API JWT signed with the configured key: for the user
                                                --sub (who must exist and be active), or without --sub an operator
                                                token (role admin, no user)
  console-link --tenant <id> [--ttl <seconds>]  print a one-time link (default 600 s) that signs the tenant's operator
                                                in to the web console (${'`'}/console${'`'})
  users backfill-search-terms                   optional after an upgrade: write the search terms and values seen of
                                                users stored before them, for every tenant now (a tenant's first people
                                                search or dry run starts this for that tenant by itself; safe to rerun)`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  const [group, command, ...rest] = args;
  if (!group || group === '--help' || group === 'help') fail(USAGE);
  // Local runs: the services started by `npm start` (or started here) and the local JWT secret.
  useLocalServices('start');
  useLocalJwtSecret();
  const config = loadConfig();
  const db = await connectDatabase(config.mongodbUri);
  const base = cliBaseUrl(config.publicBaseUrl, config.port);
  const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  try {
    if (group === 'tenants' && command === 'create') {
      const name = rest[0];
      if (!name) fail('tenants create needs a name');
      const t = await createTenant(db.models, name);
      print({ tenantId: t.tenantId, name: t.name, scimBaseUrl: `${base}/scim/v2`, scimTokenId: t.scimTokenId, scimToken: t.scimToken });
    } else if (group === 'tenants' && command === 'list') {
      print(await repositoriesOf(db.models).tenants.list());
    } else if (group === 'tokens' && command === 'scim') {
      const tenantId = flag(rest, 'tenant') ?? fail('--tenant is required');
      if (!(await repositoriesOf(db.models).tenants.exists(tenantId))) fail(`no tenant ${tenantId}`);
      const t = await issueScimToken(db.models, tenantId, flag(rest, 'label'));
      print({ tenantId, scimBaseUrl: `${base}/scim/v2`, scimTokenId: t.tokenId, scimToken: t.token });
    } else if (group === 'tokens' && command === 'revoke') {
      const tenantId = flag(rest, 'tenant') ?? fail('--tenant is required');
      const tokenId = flag(rest, 'token') ?? fail('--token is required');
      print({ revoked: await revokeScimToken(db.models, tenantId, tokenId) });
    } else if (group === 'tokens' && command === 'admin') {
      const tenantId = flag(rest, 'tenant') ?? fail('--tenant is required');
      if (!(await repositoriesOf(db.models).tenants.exists(tenantId))) fail(`no tenant ${tenantId}`);
      const role = (flag(rest, 'role') ?? 'admin') as OrgRole;
      if (!ORG_ROLES.includes(role)) fail(`--role must be one of ${ORG_ROLES.join(', ')}`);
      const ttl = Number(flag(rest, 'ttl') ?? 3600);
      if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl must be a positive number of seconds');
      const sub = flag(rest, 'sub');
      // The API refuses tokens of unknown or deactivated users: say so now rather than at first use.
      if (sub !== undefined && !(await repositoriesOf(db.models).users.exists(tenantId, sub))) fail(`no user ${sub} in tenant ${tenantId}`);
      if (sub === undefined && role !== 'admin') fail('an operator token (no --sub) carries the role admin; give --sub <userId> for another role');
      const token = signAdminToken(config.adminJwt, { sub: sub ?? 'cli', tenant: tenantId, role, kind: sub === undefined ? 'operator' : 'user' }, ttl);
      print({ tenantId, role, kind: sub === undefined ? 'operator' : 'user', subject: sub ?? 'cli', expiresInSeconds: ttl, token });
    } else if (group === 'users' && command === 'backfill-search-terms') {
      const progress = { info: (msg: string, fields?: Record<string, unknown>) => process.stderr.write(`${msg} ${JSON.stringify(fields ?? {})}\n`) };
      print(await backfillSearchTerms(db.models, progress, () => false));
    } else if (group === 'console-link') {
      const tenantId = flag(args, 'tenant') ?? fail('--tenant is required');
      if (!(await repositoriesOf(db.models).tenants.exists(tenantId))) fail(`no tenant ${tenantId}`);
      const ttl = Number(flag(args, 'ttl') ?? CONSOLE_LINK_TTL_SECONDS);
      if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400) fail('--ttl must be a whole number of seconds, at most 86400');
      const link = await issueConsoleLink(db.models, tenantId, base, ttl);
      print({ tenantId, consoleLink: link.url, expiresAt: link.expiresAt, note: 'signs in once; the session lasts 8 hours' });
    } else {
      fail(USAGE);
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
