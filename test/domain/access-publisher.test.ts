import type { CommandStartedEvent } from 'mongodb';
import { startTestStack, type TestStack } from '../helpers/stack';
import { AccessEvents } from '../../src/domain/access-events';
import { publishAccessChanges, readAccessVersion, type AccessChangePublisher } from '../../src/domain/permissions/access-version';

/**
 * A worker-only process publishes its access changes as bumps of the tenant's access version
 * (src/domain/permissions/access-version.ts), and completes a job only once `settled()` says the
 * bumps covering that job's changes have landed: then every API replica's next authorize sees them.
 * Bumps of one tenant are coalesced (a rule run reports thousands of membership changes), and
 * `settled` waits only for changes reported before it was called.
 */

let stack: TestStack;
let events: AccessEvents;
let publisher: AccessChangePublisher;
let bumps = 0;

beforeAll(async () => {
  stack = await startTestStack({ monitorCommands: true });
  stack.runtime.db.connection.getClient().on('commandStarted', (e: CommandStartedEvent) => {
    if (e.commandName === 'findAndModify' && (e.command as { findAndModify: string }).findAndModify === 'tenants') bumps++;
  });
});
beforeEach(() => {
  events = new AccessEvents();
  publisher = publishAccessChanges(stack.runtime.deps.models, events);
  bumps = 0;
});
afterEach(() => publisher.stop());
afterAll(() => stack?.close());

const version = async () => (await readAccessVersion(stack.runtime.deps.models, stack.tenantId)).access;

it('when a change is reported, then settled() resolves only once a bump after it has landed', async () => {
  const before = await version();
  events.emit({ tenantId: stack.tenantId, kind: 'membership', userId: 'usr_a', groupId: 'grp_a' });
  await publisher.settled();
  expect(await version()).toBeGreaterThan(before);
});

it('when 200 changes of one tenant are reported at once, then they cost two bumps (the one in flight and one after it), and the version moves after the last', async () => {
  const before = await version();
  for (let i = 0; i < 200; i++) events.emit({ tenantId: stack.tenantId, kind: 'membership', userId: `usr_${i}`, groupId: 'grp_a' });
  await publisher.settled();
  expect(bumps).toBe(2);
  expect(await version()).toBe(before + 2);
});

it('when other changes keep coming, then settled() still resolves for the ones reported before it', async () => {
  const before = await version();
  events.emit({ tenantId: stack.tenantId, kind: 'membership', userId: 'usr_first', groupId: 'grp_a' });
  const waiting = publisher.settled();
  // A steady stream, as other jobs' rule runs make: each change asks for another bump after the current one.
  let n = 0;
  const stream = setInterval(() => events.emit({ tenantId: stack.tenantId, kind: 'membership', userId: `usr_more_${n++}`, groupId: 'grp_a' }), 1);
  try {
    await waiting;
  } finally {
    clearInterval(stream);
  }
  // It resolved (a wait for "no bump in flight" would not, while the stream runs), with the first change's bump landed.
  expect(await version()).toBeGreaterThan(before);
  await publisher.settled();
});

it('when nothing was reported, then settled() resolves at once, with no bump', async () => {
  await publisher.settled();
  expect(bumps).toBe(0);
});
