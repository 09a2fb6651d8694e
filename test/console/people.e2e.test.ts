import { backfillSearchTerms } from '../../src/domain/people/search-terms-backfill';
import { issueConsoleLink } from '../../src/auth/console-sessions';
import { newInternalGroupDoc } from '../../src/domain/groups/group-record';
import { membershipId } from '../../src/persistence/memberships-repository';
import type { UserDoc } from '../../src/persistence/models';
import { ENTERPRISE_USER_URN } from '../../src/attributes/urns';
import { startSyncStack, waitFor, type SyncStack } from '../workers/sync-fixtures';
import { openBrowser, prepareChromium, stepOf, type BrowserKit } from './browser-kit';

/**
 * The console at a customer's size, in Chromium: 5,000 people and 300 groups (seeded straight into
 * the database: creating them over SCIM is not what is under test), a group of 3,000 members. An
 * IT admin finds a person by e-mail and by a custom attribute, reads why they are in a group,
 * pages through the big group to its end, reads a rule's removal in the audit log by names, and
 * every page fits a 375 px phone without horizontal scrolling.
 */
const PEOPLE = 5000;
const GROUPS = 300;
const BIG_GROUP = 3000;
const FIRST = ['Noah', 'Mia', 'Liam', 'Emma', 'Elias', 'Sofia', 'Luca', 'Lena', 'Omar', 'Aiko', 'Ravi', 'Zoe'];
const LAST = ['Rossi', 'Müller', 'Nguyen', 'Garcia', 'Okafor', 'Svensson', 'Tanaka', 'Kowalski', 'Dubois', 'Silva'];
const DEPARTMENTS = ['Research', 'Sales', 'Support', 'Legal', 'Finance', 'Marketing', 'Operations'];

describe('people, paging and names in the console, at 5,000 users', () => {
  let s: SyncStack;
  let kit: BrowserKit | undefined;
  let bigGroup: string;
  const step = stepOf(() => kit);
  const seededId = (i: number) => `usr_seed_${String(i).padStart(5, '0')}`;
  const nameOf = (i: number) => ({ first: FIRST[i % FIRST.length]!, last: LAST[Math.floor(i / FIRST.length) % LAST.length]! });

  beforeAll(async () => {
    prepareChromium();
    s = await startSyncStack();
    const { registry, models } = s.runtime.deps;
    const now = new Date();
    const users: UserDoc[] = Array.from({ length: PEOPLE }, (_, i) => {
      const { first, last } = nameOf(i);
      const attrs: Record<string, unknown> = {
        userName: `person${i}@corp.example`,
        name: { givenName: first, familyName: last },
        displayName: `${first} ${last}`,
        emails: [{ value: `${first}.${last}.${i}@corp.example`.toLowerCase(), type: 'work', primary: true }],
        active: true,
        enterprise: { department: DEPARTMENTS[i % DEPARTMENTS.length], employeeNumber: `E${100000 + i}` },
        custom: { region: i === 4321 ? 'Lapland' : `Region ${i % 40}` },
      };
      return { _id: seededId(i), tenantId: s.tenantId, attrs, lc: registry.shadows('User', attrs) as UserDoc['lc'], version: 1, sync: { version: 1 }, createdAt: now, updatedAt: now };
    });
    await models.User.collection.insertMany(users as never[]);
    // Written straight to the collection, as users stored before people search: caught up (terms, values seen) as an upgrade would.
    await models.Tenant.collection.updateOne({ _id: s.tenantId } as never, { $unset: { searchTermsVersion: '' } });
    await backfillSearchTerms(models, { info: () => undefined }, () => false);
    const groups = Array.from({ length: GROUPS }, (_, i) => newInternalGroupDoc(s.tenantId, `Team ${String(i).padStart(3, '0')}`));
    await models.Group.collection.insertMany(groups as never[]);
    bigGroup = await s.internalGroup('All hands EMEA');
    await models.Membership.collection.insertMany(
      users
        .slice(0, BIG_GROUP)
        .map((u) => ({ _id: membershipId(bigGroup, u._id), tenantId: s.tenantId, groupId: bigGroup, userId: u._id, role: 'member', sources: ['manual'], createdAt: now, updatedAt: now })) as never[],
    );
    kit = await openBrowser(s.runtime.app);
    const link = await issueConsoleLink(models, s.tenantId, kit.base);
    await kit.page.goto(link.url);
    await kit.page.waitForURL(`${kit.base}/console/`);
  }, 600_000);

  afterAll(async () => {
    await kit?.close();
    await s?.close();
  });

  step('finds a person by e-mail address and opens their page: attributes, groups and why', async () => {
    const { page, base } = kit!;
    await page.goto(`${base}/console/#/people`);
    const { first, last } = nameOf(1234);
    await page.getByLabel('Find a person').fill(`${first}.${last}.1234@Corp.example`);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Showing all 1').waitFor();
    await page.getByRole('link', { name: `${first} ${last}` }).click();
    await page.getByRole('heading', { name: `${first} ${last}` }).waitFor();
    await page.getByRole('cell', { name: 'E101234' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'All hands EMEA' }).getByText('added through the admin API').waitFor();
    await kit!.shot('person');
  });

  step('finds a person by a custom attribute value', async () => {
    const { page, base } = kit!;
    await page.goto(`${base}/console/#/people`);
    await page.getByLabel('Find a person').fill('lapland');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Showing all 1').waitFor();
    await page.locator(`a[href="#/people/${seededId(4321)}"]`).waitFor();
    // Two words: both must be the person's (every 120th seeded person is a Noah Rossi).
    await page.getByLabel('Find a person').fill('Noah Rossi');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(`Showing all ${Math.ceil(PEOPLE / 120)}`).waitFor();
    // A name shared by many pages by cursor: More appends to the same table.
    await page.getByLabel('Find a person').fill('noah');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Showing 50', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'More' }).click();
    await page.getByText('Showing 100', { exact: true }).waitFor();
    const results = page.locator('section[aria-label="People found"]');
    expect(await results.locator('table').count()).toBe(1);
    const ids = await results.locator('tbody a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(new Set(ids).size).toBe(100);
    await kit!.shot('people');
  });

  step(
    'pages through a 3,000-member group to its end, in one table',
    async () => {
      const { page, base } = kit!;
      const internalGroups = (await s.admin.get('/groups?origin=internal&limit=1')).body.total as number;
      expect(internalGroups).toBeGreaterThan(GROUPS);
      await page.goto(`${base}/console/#/groups`);
      await page.getByText(`Showing 100 of ${internalGroups}`).waitFor();
      await page.getByLabel('Search groups').fill('all hands');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('button', { name: 'All hands EMEA' }).click();
      const detail = page.locator('section.detail').first();
      const status = detail.locator('.more [role="status"]');
      await status.filter({ hasText: `Showing 200 of ${BIG_GROUP}` }).waitFor();
      // CSS locators in the loop: a role query reads the accessibility tree of thousands of rows each time.
      const more = detail.locator('.more button');
      for (let shown = 200; shown < BIG_GROUP; shown += 200) {
        await more.click();
        await status.filter({ hasText: `Showing ${Math.min(shown + 200, BIG_GROUP)} of ${BIG_GROUP}` }).waitFor();
      }
      await more.waitFor({ state: 'hidden' });
      expect(await detail.locator('tbody tr').count()).toBe(BIG_GROUP);
      expect(await detail.locator('table').count()).toBe(1);
      const ids = await detail.locator('a[href^="#/people/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      expect(new Set(ids).size).toBe(BIG_GROUP);
    },
    120_000,
  );

  step("edits a custom group's name and description in place; a default group offers no Edit", async () => {
    const { page, base } = kit!;
    const [team] = (await s.admin.get('/groups?q=team%20001')).body.items as { id: string; name: string }[];
    expect(team?.name).toBe('Team 001');
    await page.goto(`${base}/console/#/groups`);
    await page.getByLabel('Search groups').fill('team 001');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Team 001', exact: true }).click();
    const detail = page.locator('section.detail').first();
    await detail.getByRole('heading', { name: /^Team 001: / }).waitFor();

    // Escape closes the form and saves nothing.
    await detail.getByRole('button', { name: 'Edit Team 001' }).click();
    await detail.getByLabel('Name', { exact: true }).fill('Not kept');
    await page.keyboard.press('Escape');
    await detail.getByText('Editing cancelled: nothing saved.').waitFor();
    expect(await detail.getByLabel('Name', { exact: true }).count()).toBe(0);

    // The API's refusal is shown in the form: names are unique per tenant.
    await detail.getByRole('button', { name: 'Edit Team 001' }).click();
    await detail.getByLabel('Name', { exact: true }).fill('team 002');
    await detail.getByRole('button', { name: 'Save changes' }).click();
    await detail.getByRole('alert').filter({ hasText: 'A group named "team 002" exists already' }).waitFor();

    await detail.getByLabel('Name', { exact: true }).fill('Platform team');
    await detail.getByLabel('Description').fill('Builds and runs the platform');
    await detail.getByRole('button', { name: 'Save changes' }).click();
    await detail.getByText('Platform team saved.').waitFor();
    await detail.getByRole('heading', { name: /^Platform team: / }).waitFor();
    await page.getByRole('button', { name: 'Platform team', exact: true }).waitFor(); // the list's row too
    const saved = (await s.admin.get(`/groups/${team!.id}`)).body as { name: string; description: string | null };
    expect(saved).toMatchObject({ name: 'Platform team', description: 'Builds and runs the platform' });

    // A default group is not edited here (the API refuses it): no Edit button.
    await page.getByLabel('Search groups').fill('admins');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Admins', exact: true }).click();
    await detail.getByRole('heading', { name: /^Admins: / }).waitFor();
    expect(await detail.getByRole('button', { name: /^Edit/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Edit/ }).count()).toBe(0);
  });

  step("the audit row of a rule's removal names the user, the group, the rule and the change that triggered it", async () => {
    const { page, base } = kit!;
    const engineering = await s.internalGroup('Engineering');
    const lena = await s.user('lena.berg@corp.example', { department: 'Engineering' });
    await s.createRule({ name: 'Engineers by department', expression: 'department = "Engineering"', targetGroupId: engineering });
    await s.settle();
    await s.patchUser(lena, { op: 'replace', path: `${ENTERPRISE_USER_URN}:department`, value: 'Sales' });
    await s.settle();
    await page.goto(`${base}/console/#/audit`);
    await page.getByLabel('Category').selectOption('auto_assignment');
    // Filtered by what the IT admin knows: the person's e-mail and the rule's name, not usr_…/rul_… ids.
    await page.getByLabel(/^About/).fill('lena.berg@corp.example');
    await page.getByLabel(/^Actor/).fill('engineers by department');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByTestId('audit-matched').getByText('Actor: rule Engineers by department · About: user lena.berg@corp.example').waitFor();
    const removal = page.getByRole('row').filter({ hasText: 'membership.removed' });
    await removal.getByText('Engineers by department').waitFor();
    await removal.getByText('lena.berg@corp.example').waitFor();
    await removal.getByText('Engineering', { exact: true }).waitFor();
    await removal.getByText(/department Engineering → Sales/).waitFor();
    // The ids stay a hover away.
    expect(await removal.locator(`[data-id="${lena}"]`).getAttribute('title')).toBe(lena);
    await kit!.shot('audit-names');
  });

  step('a token sent as "Bearer Bearer" shows in the provisioning log with its reason, and on the Connect page', async () => {
    const { page, base } = kit!;
    const res = await fetch(`${base}/scim/v2/Groups?count=1`, { headers: { Authorization: `Bearer Bearer ${s.token}`, 'User-Agent': 'Okta SCIM Client 1.0.0' } });
    expect(res.status).toBe(401);
    // The entry is written after the answer: wait until the API has it, then read it in the page.
    await waitFor(async () => (await s.admin.get('/provisioning-log?outcome=unauthorized')).body.items.length > 0, 'the refused request in the provisioning log', 10_000, 25);
    await page.goto(`${base}/console/#/log`);
    await page.getByLabel('Outcome').selectOption('unauthorized');
    await page.getByRole('button', { name: 'Filter' }).click();
    const refused = page.getByRole('row').filter({ hasText: 'GET /Groups' });
    await refused.getByText('paste the token only').waitFor();
    await refused.getByText('Okta SCIM Client 1.0.0').waitFor();
    await kit!.shot('log');
    await page.goto(`${base}/console/#/connect`);
    await page
      .getByTestId('last-request')
      .getByText(/Failed: GET \/Groups → 401 .*paste the token only/)
      .waitFor();
  });

  step('creates a target group and a rule from scratch in the console; a dry run of a value nobody has warns and offers the values seen', async () => {
    const { page, base } = kit!;
    await page.goto(`${base}/console/#/rules`);
    await page.getByRole('button', { name: 'New rule or mapping' }).click();
    await page.getByRole('button', { name: 'Cancel' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByText('Editing cancelled').waitFor();
    await page.getByRole('button', { name: 'New rule or mapping' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Research staff');
    await page.getByLabel('Or create a group named').fill('Research lab');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Group Research lab created and chosen as the target.').waitFor();
    await page.getByLabel('Expression').fill('department eq "Reserch"');
    await page.getByText(/^Valid\./).waitFor();
    await page.getByRole('button', { name: 'Dry run' }).click();
    const warning = page.getByTestId('preview-warning').filter({ hasText: 'No user has department "Reserch". Values seen: "Research".' });
    await warning.waitFor();
    await page.getByTestId('preview-warning').getByText('This matches no one today').waitFor();
    await warning.scrollIntoViewIfNeeded();
    await kit!.shot('rules-value-warning', { keepScroll: true });
    // The suggestion replaces the misspelt value in the expression.
    await warning.getByRole('button', { name: 'Use “Research”' }).click();
    expect(await page.getByLabel('Expression').inputValue()).toBe('department eq "Research"');
    await page.getByText('Changed since the dry run: run it again.').waitFor();
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page
      .getByTestId('preview-summary')
      .getByText(`${Math.ceil(PEOPLE / DEPARTMENTS.length)} users match.`)
      .waitFor();
    expect(await page.getByTestId('preview-warning').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Research staff saved').waitFor();
    await page.getByRole('row').filter({ hasText: 'Research staff' }).getByText('Research lab').waitFor();
    const created = (await s.admin.get('/groups?q=research%20lab')).body.items as { name: string }[];
    expect(created.map((g) => g.name)).toEqual(['Research lab']);
  });

  step('every page renders at desktop width (screenshots for docs/console.md)', async () => {
    const { page, base } = kit!;
    const ready: Record<string, string> = { connect: '[data-testid="last-request"]', rules: 'main table', sync: '[data-testid="pending-total"]', groups: 'main .more [role="status"]' };
    for (const [hash, selector] of Object.entries(ready)) {
      await page.goto(`${base}/console/#/${hash}`);
      await page.locator(selector).first().waitFor();
      expect(await page.locator('main p.bad:not(.last-request), main p.error').count()).toBe(0);
      await kit!.shot(hash);
    }
  });

  step(
    'fits a 375 px phone: no page scrolls sideways',
    async () => {
      const { page, base } = kit!;
      await page.setViewportSize({ width: 375, height: 800 });
      const wide: string[] = [];
      for (const hash of ['connect', 'rules', 'sync', 'groups', 'people', `people/${seededId(7)}`, 'log', 'audit']) {
        await page.goto(`${base}/console/#/${hash}`);
        await page.locator('main h1').waitFor();
        await page.waitForLoadState('networkidle');
        if (hash === 'groups')
          await page
            .getByRole('button', { name: 'All hands EMEA' })
            .click()
            .then(() => page.getByText(`Showing 200 of ${BIG_GROUP}`).waitFor())
            // The Edit form open too: its fields stack at phone width.
            .then(() => page.getByRole('button', { name: 'Edit All hands EMEA' }).click())
            .then(() => page.getByLabel('Description').waitFor());
        if (hash.startsWith('people/')) await page.getByRole('heading', { name: 'Effective permissions' }).waitFor();
        const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
        if (width > 375) wide.push(`${hash}: ${width}px`);
        if (hash === 'people' || hash === 'audit') await kit!.shot(`phone-${hash}`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      expect(wide).toEqual([]);
    },
    90_000,
  );
});
