import { aGroup, errorOf, groupView, patch, patchBody } from './helpers';

describe('Group members become a MemberDelta, never part of the resource', () => {
  it('when members are added by path, then their ids are in delta.add and the resource is unchanged', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'add', path: 'members', value: [{ value: 'u-1', display: 'Alice' }, { value: 'u-2' }] }));
    expect(result.members).toEqual({ add: ['u-1', 'u-2'], remove: [] });
    expect(result.resource).toEqual(aGroup());
    expect(result.resourceChanged).toBe(false);
    expect(result.changed).toBe(true);
  });

  it('when members are added without a path, then they go to delta.add', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'add', value: { members: [{ value: 'u-1' }] } }));
    expect(result.members).toEqual({ add: ['u-1'], remove: [] });
  });

  it('when members are removed by filter, then their ids are in delta.remove', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'remove', path: 'members[value eq "u-1"]' }));
    expect(result.members).toEqual({ add: [], remove: ['u-1'] });
  });

  it('when members are removed with a value array (Entra), then only those members are removed', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'Remove', path: 'members', value: [{ value: 'id1' }, { value: 'id2' }] }));
    expect(result.members).toEqual({ add: [], remove: ['id1', 'id2'] });
    expect(result.members.replaceAll).toBeUndefined();
  });

  it('when members are removed with an empty value array, then nobody is removed', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'remove', path: 'members', value: [] }));
    expect(result.members).toEqual({ add: [], remove: [] });
    expect(result.changed).toBe(false);
  });

  it('when members are removed without value or filter, then every member goes (replaceAll is empty)', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'remove', path: 'members' }));
    expect(result.members).toEqual({ replaceAll: [], add: [], remove: [] });
  });

  it('when members are replaced by path, then replaceAll holds the full list', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'replace', path: 'members', value: [{ value: 'u-1' }, { value: 'u-2' }, { value: 'u-1' }] }));
    expect(result.members).toEqual({ replaceAll: ['u-1', 'u-2'], add: [], remove: [] });
  });

  it('when a path-less replace carries displayName and members, then the name changes and members are replaced', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'replace', value: { displayName: 'Platform', members: [{ value: 'u-3' }] } }));
    expect(result.resource.displayName).toBe('Platform');
    expect(result.resource).not.toHaveProperty('members');
    expect(result.members).toEqual({ replaceAll: ['u-3'], add: [], remove: [] });
  });

  it('when members are replaced with an empty list or null, then the group ends up empty', () => {
    for (const value of [[], null]) {
      const result = patch(groupView, aGroup(), patchBody({ op: 'replace', path: 'members', value }));
      expect(result.members).toEqual({ replaceAll: [], add: [], remove: [] });
    }
  });

  it('when operations on the same member follow each other, then the last one wins', () => {
    const result = patch(
      groupView,
      aGroup(),
      patchBody(
        { op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
        { op: 'remove', path: 'members[value eq "a"]' },
        { op: 'remove', path: 'members', value: [{ value: 'c' }] },
        { op: 'add', path: 'members', value: [{ value: 'c' }] },
      ),
    );
    expect(result.members).toEqual({ add: ['b', 'c'], remove: ['a'] });
  });

  it('when a replace comes after adds and removes, then it discards them; later operations edit the new list', () => {
    const result = patch(
      groupView,
      aGroup(),
      patchBody(
        { op: 'add', path: 'members', value: [{ value: 'a' }] },
        { op: 'remove', path: 'members[value eq "b"]' },
        { op: 'replace', path: 'members', value: [{ value: 'c' }, { value: 'd' }] },
        { op: 'add', path: 'members', value: [{ value: 'e' }] },
        { op: 'remove', path: 'members[value eq "c"]' },
      ),
    );
    expect(result.members).toEqual({ replaceAll: ['d', 'e'], add: [], remove: [] });
  });

  it('when a member value is not a non-empty string, then 400 invalidValue and nothing is applied', () => {
    const error = errorOf(() => patch(groupView, aGroup(), patchBody({ op: 'add', path: 'members', value: [{ value: 'ok' }, { value: '' }] })));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
  });

  it('when the group resource is renamed to its current name, then changed is false', () => {
    const result = patch(groupView, aGroup(), patchBody({ op: 'replace', path: 'displayName', value: 'Engineering' }));
    expect(result.changed).toBe(false);
  });

  it('when a large membership list is added, then it is handled in one pass', () => {
    const value = Array.from({ length: 20_000 }, (_, i) => ({ value: `user-${i}` }));
    const started = Date.now();
    const result = patch(groupView, aGroup(), patchBody({ op: 'add', path: 'members', value }));
    expect(result.members.add).toHaveLength(20_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
