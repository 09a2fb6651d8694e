import fc from 'fast-check';
import { MemberDeltaBuilder, isEmptyMemberDelta, memberIdsFromValue } from '../../../src/scim/patch/member-delta';
import { errorOf } from './helpers';

/** Applies a delta to a known member set, as the persistence layer would. */
function applyTo(members: readonly string[], build: (b: MemberDeltaBuilder) => void): string[] {
  const builder = new MemberDeltaBuilder();
  build(builder);
  const delta = builder.build();
  const result = new Set(delta.replaceAll ?? members);
  for (const id of delta.add) result.add(id);
  for (const id of delta.remove) result.delete(id);
  return [...result].sort();
}

describe('MemberDeltaBuilder', () => {
  it('when nothing is recorded, then the delta is empty', () => {
    expect(isEmptyMemberDelta(new MemberDeltaBuilder().build())).toBe(true);
  });

  it('when ids repeat, then each appears once in first-seen order', () => {
    const builder = new MemberDeltaBuilder();
    builder.add(['b', 'a', 'b']);
    builder.add(['a', 'c']);
    expect(builder.build()).toEqual({ add: ['b', 'a', 'c'], remove: [] });
  });

  it('when an id is added and then removed, then it ends as a remove (it may have been a member before)', () => {
    expect(applyTo(['x'], (b) => (b.add(['x']), b.remove(['x'])))).toEqual([]);
    expect(applyTo([], (b) => (b.add(['x']), b.remove(['x'])))).toEqual([]);
  });

  it('when an id is removed and then added, then it ends as an add', () => {
    expect(applyTo(['x'], (b) => (b.remove(['x']), b.add(['x'])))).toEqual(['x']);
    expect(applyTo([], (b) => (b.remove(['x']), b.add(['x'])))).toEqual(['x']);
  });

  it('when members are replaced, then earlier adds and removes are dropped and later ones edit the list', () => {
    const builder = new MemberDeltaBuilder();
    builder.add(['a']);
    builder.remove(['b']);
    builder.replace(['c', 'd', 'c']);
    builder.add(['e', 'c']);
    builder.remove(['d']);
    expect(builder.build()).toEqual({ replaceAll: ['c', 'e'], add: [], remove: [] });
  });

  it('when all members are removed, then replaceAll is empty', () => {
    const builder = new MemberDeltaBuilder();
    builder.add(['a']);
    builder.removeAll();
    expect(builder.build()).toEqual({ replaceAll: [], add: [], remove: [] });
  });

  it('for any sequence of operations, then applying the delta equals applying the operations one by one', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd');
    const step = fc.record({ kind: fc.constantFrom('add', 'remove', 'replace', 'removeAll'), ids: fc.array(id) });
    fc.assert(
      fc.property(fc.uniqueArray(id), fc.array(step, { minLength: 1, maxLength: 8 }), (initial, steps) => {
        const expected = new Set(initial);
        for (const { kind, ids } of steps) {
          if (kind === 'add') ids.forEach((x) => expected.add(x));
          if (kind === 'remove') ids.forEach((x) => expected.delete(x));
          if (kind === 'replace' || kind === 'removeAll') expected.clear();
          if (kind === 'replace') ids.forEach((x) => expected.add(x));
        }
        const actual = applyTo(initial, (b) => {
          for (const { kind, ids } of steps) {
            if (kind === 'removeAll') b.removeAll();
            else b[kind](ids);
          }
        });
        expect(actual).toEqual([...expected].sort());
      }),
    );
  });
});

describe('memberIdsFromValue', () => {
  it('when given an array or a single member object, then the ids are returned', () => {
    expect(memberIdsFromValue([{ value: 'a', display: 'A' }, { VALUE: 'b' }], 'op')).toEqual(['a', 'b']);
    expect(memberIdsFromValue({ value: 'a' }, 'op')).toEqual(['a']);
    expect(memberIdsFromValue(null, 'op')).toEqual([]);
  });

  it('when an element has no usable id, then 400 invalidValue', () => {
    for (const value of [[{}], [{ value: null }], [{ value: '' }], ['a'], [{ value: 1 }], 'a']) {
      expect(errorOf(() => memberIdsFromValue(value, 'op'))).toMatchObject({ scimType: 'invalidValue' });
    }
  });
});
