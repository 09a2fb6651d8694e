import type { CompiledRule } from '../rules';
import { repositoriesOf } from '../../persistence/repositories';
import { applySourceChanges } from './membership-changes';
import { compareIds, holdersOf, walkRuleMatches } from './rule-matches';
import { isActiveRule, ruleSourceOf, type RuleProgress, type RuleRunResult } from './rule-records';
import type { SyncDeps } from './sync-deps';
import { groupAudienceOf } from '../groups/user-identity';

export interface RuleRunOptions {
  /** Users per chunk: one bulk write and one progress checkpoint each. */
  chunkSize?: number;
  /** Aborted: stop before the next write (the worker is being killed or shut down). */
  signal?: AbortSignal;
}

export type RuleRunOutcome =
  | { outcome: 'gone' }
  /** A duplicate job: this version's run finished already. */
  | { outcome: 'upToDate'; version: number }
  /** A newer change to the rule arrived during the run; the newer version's run takes over. */
  | { outcome: 'superseded'; version: number }
  | (RuleRunResult & { deleted: boolean; usesGroups: boolean });

const DEFAULT_CHUNK = 1000;

class Superseded extends Error {}

/**
 * A full run of one rule over the tenant (job `rule.changed`): streams the users matching the
 * compiled query in `_id` order, and per chunk adds the rule's source to matches that lack it and
 * removes it from holders in the chunk's id range that no longer match, with bulk writes. A
 * disabled or deleted rule (or one whose target group is gone) only removes its source.
 *
 * Resumable: after each chunk the position and counters are saved on the rule (`progress`), so a
 * worker that dies mid-run is followed by one that continues from there. Superseded: every
 * checkpoint is conditional on the rule's `sync.version` still being the one this run serves;
 * a newer edit makes the run stop at its next checkpoint (the chunk being written beside it is
 * finished first). At the end the rule's pending mark is cleared only for that version (a
 * deleted rule's tombstone is removed instead).
 */
export async function runRule(deps: SyncDeps, tenantId: string, ruleId: string, opts: RuleRunOptions = {}): Promise<RuleRunOutcome> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const rule = await repositoriesOf(deps.models).rules.findOfTenant(tenantId, ruleId);
  if (!rule) return { outcome: 'gone' };
  const version = rule.sync?.version ?? rule.version;
  if (!rule.sync?.pendingSince && rule.lastRun?.version === version) return { outcome: 'upToDate', version };

  const progress: RuleProgress = rule.progress?.version === version ? { ...rule.progress } : { version, staleTargetsDone: false, matched: 0, added: 0, removed: 0, startedAt: new Date() };
  const checkpoint = async () => {
    if (!(await repositoriesOf(deps.models).rules.saveProgress(tenantId, ruleId, version, progress))) throw new Superseded();
  };
  const guard = () => {
    if (opts.signal?.aborted) throw new Error('rule run aborted: the worker is stopping');
  };
  const log = deps.logger.child({ tenantId, ruleId, ruleVersion: version });
  const source = ruleSourceOf(rule);

  try {
    await checkpoint();
    if (progress.after !== undefined) log.info('resuming rule run', { after: progress.after, matched: progress.matched });

    // Groups the rule pointed at before: its source goes there, whatever the rule says now.
    const staleTargets = (rule.staleTargets ?? []).filter((g) => g !== rule.targetGroupId);
    if (!progress.staleTargetsDone) {
      for (const groupId of staleTargets) {
        const holders = await holdersOf(deps, tenantId, groupId, source);
        for (let i = 0; i < holders.length; i += chunkSize) {
          guard();
          const part = holders.slice(i, i + chunkSize);
          progress.removed += (await applySourceChanges(deps, tenantId, [{ groupId, source, ruleId, add: [], remove: part }])).removed;
        }
      }
      progress.staleTargetsDone = true;
      await checkpoint();
    }

    const target = await repositoriesOf(deps.models).groups.findAudience(tenantId, rule.targetGroupId);
    let compiled: CompiledRule | undefined;
    let outcome: RuleRunResult['outcome'] = 'completed';
    if (!isActiveRule(rule)) outcome = 'removed';
    else if (!target) outcome = 'targetMissing';
    else compiled = deps.ruleSets.compile(rule.expression);

    const holders = await holdersOf(deps, tenantId, rule.targetGroupId, source);
    // Members by any source, read once: users outside it are inserted without a lookup per chunk.
    const members = compiled ? new Set(await deps.memberships.userIdsOf(tenantId, rule.targetGroupId)) : new Set<string>();
    let next = progress.after === undefined ? 0 : upperBound(holders, progress.after);
    const holderSet = new Set(holders);

    if (compiled) {
      // Only users of the target's audience match: the others' membership (if any) is removed below.
      const audience = groupAudienceOf(target!);
      // Pipelined: a chunk's writes run while the next chunk is read and its writes start (the
      // audited writer runs two flushes at once); checkpoints stay in chunk order, each after its
      // chunk and every chunk before it are written. A run that stops leaves at most one chunk
      // past its checkpoint written: the resumed run finds those memberships made.
      let written: Promise<void> = Promise.resolve();
      try {
        for await (const chunk of walkRuleMatches(deps, tenantId, compiled, { after: progress.after, chunkSize, audience })) {
          const matchedIds = new Set(chunk.matched.map((m) => m._id));
          const remove: string[] = [];
          while (next < holders.length && compareIds(holders[next] as string, chunk.rangeEnd) <= 0) {
            const holder = holders[next++] as string;
            if (!matchedIds.has(holder)) remove.push(holder);
          }
          const add = [...matchedIds].filter((id) => !holderSet.has(id));
          const fresh = new Set(add.filter((id) => !members.has(id)));
          guard();
          const applying = applySourceChanges(deps, tenantId, [{ groupId: rule.targetGroupId, source, ruleId, add, remove, fresh }]);
          const before = written;
          written = (async () => {
            const applied = await applying;
            await before;
            progress.matched += matchedIds.size;
            progress.added += applied.added;
            progress.removed += applied.removed;
            progress.after = chunk.rangeEnd;
            await checkpoint();
          })();
          // Handled where awaited (below, or at the loop's end); this keeps a failure meanwhile from being "unhandled".
          written.catch(() => undefined);
          await before;
        }
      } finally {
        // Leaving early (an error, a superseded checkpoint): nothing of this run may still be writing.
        await written.catch(() => undefined);
      }
      await written;
    }
    // Holders past the last user looked at (all of them when the rule gives nothing now).
    for (let i = next; i < holders.length; i += chunkSize) {
      guard();
      const part = holders.slice(i, i + chunkSize);
      progress.removed += (await applySourceChanges(deps, tenantId, [{ groupId: rule.targetGroupId, source, ruleId, add: [], remove: part }])).removed;
    }

    const finishedAt = new Date();
    const result: RuleRunResult = {
      version,
      outcome,
      matched: progress.matched,
      added: progress.added,
      removed: progress.removed,
      durationMs: finishedAt.getTime() - new Date(progress.startedAt).getTime(),
      startedAt: progress.startedAt,
      finishedAt,
    };
    if (rule.deletedAt) {
      if (!(await repositoriesOf(deps.models).rules.deleteTombstone(tenantId, ruleId, version))) throw new Superseded();
    } else {
      if (!(await repositoriesOf(deps.models).rules.finishRun(tenantId, ruleId, version, result, [...staleTargets, rule.targetGroupId]))) throw new Superseded();
    }
    log.info('rule run finished', { ...result, deleted: Boolean(rule.deletedAt) });
    return { ...result, deleted: Boolean(rule.deletedAt), usesGroups: compiled?.usesGroups ?? false };
  } catch (err) {
    if (err instanceof Superseded) {
      log.info('rule run superseded by a newer change', { matched: progress.matched, after: progress.after });
      return { outcome: 'superseded', version };
    }
    throw err;
  }
}

/** Index of the first id greater than `after` in a sorted list. */
function upperBound(sorted: readonly string[], after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(sorted[mid] as string, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
