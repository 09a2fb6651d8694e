import { parsePatchRequest } from '../../../src/scim/patch';
import { ENTERPRISE_URN, PATCH_OP, errorOf, groupView, patchBody, userView } from './helpers';

describe('parsePatchRequest: the PatchOp message (RFC 7644 §3.5.2)', () => {
  it('when the body is not an object, then 400 invalidSyntax', () => {
    for (const body of [null, 'x', [], 42]) {
      expect(errorOf(() => parsePatchRequest(body, userView))).toMatchObject({ status: 400, scimType: 'invalidSyntax' });
    }
  });

  it('when schemas does not contain the PatchOp URN, then 400 invalidSyntax', () => {
    const operations = [{ op: 'replace', path: 'active', value: false }];
    for (const schemas of [undefined, [], ['urn:ietf:params:scim:schemas:core:2.0:User'], PATCH_OP]) {
      const error = errorOf(() => parsePatchRequest({ schemas, Operations: operations }, userView));
      expect(error).toMatchObject({ status: 400, scimType: 'invalidSyntax', code: 'SCIM_PATCH_SCHEMA' });
    }
  });

  it('when Operations is missing, empty or not an array, then 400 invalidSyntax', () => {
    for (const Operations of [undefined, [], {}, 'replace']) {
      const error = errorOf(() => parsePatchRequest({ schemas: [PATCH_OP], Operations }, userView));
      expect(error).toMatchObject({ scimType: 'invalidSyntax', code: 'SCIM_PATCH_NO_OPERATIONS' });
    }
  });

  it('when op is "Replace", "ADD" or "remove", then it is accepted case-insensitively', () => {
    const ops = parsePatchRequest(patchBody({ op: 'Replace', path: 'active', value: false }, { op: 'ADD', path: 'nickName', value: 'Babs' }, { op: 'remove', path: 'title' }), userView);
    expect(ops.map((o) => o.op)).toEqual(['replace', 'add', 'remove']);
  });

  it('when op is unknown or missing, then 400 invalidSyntax', () => {
    for (const op of ['move', 'copy', 'test', undefined, 3]) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op, path: 'active', value: false }), userView));
      expect(error).toMatchObject({ scimType: 'invalidSyntax', code: 'SCIM_PATCH_OP' });
    }
  });

  it('when the message uses other casing for its member names, then it is still understood', () => {
    const ops = parsePatchRequest({ Schemas: [PATCH_OP.toUpperCase()], operations: [{ Op: 'replace', Path: 'active', Value: false }] }, userView);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ op: 'replace', value: false });
  });

  it('when remove has no path, then 400 noTarget', () => {
    const error = errorOf(() => parsePatchRequest(patchBody({ op: 'remove' }), userView));
    expect(error).toMatchObject({ status: 400, scimType: 'noTarget', code: 'SCIM_PATCH_REMOVE_NO_PATH' });
  });

  it('when add or replace has no value, then 400 invalidValue', () => {
    for (const op of ['add', 'replace']) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op, path: 'nickName' }), userView));
      expect(error).toMatchObject({ scimType: 'invalidValue', code: 'SCIM_PATCH_VALUE_MISSING' });
    }
  });

  it('when add or replace has no path and the value is not an object, then 400 invalidValue', () => {
    for (const value of ['x', [{ active: false }], null, 3]) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', value }), userView));
      expect(error).toMatchObject({ scimType: 'invalidValue', code: 'SCIM_PATCH_VALUE_NOT_OBJECT' });
    }
  });
});

describe('parsePatchRequest: paths', () => {
  it('when the path names an unknown attribute, then 400 invalidPath', () => {
    for (const path of ['shoeSize', 'name.nickname', 'emails[type eq "work"].colour', `${ENTERPRISE_URN}:shoeSize`]) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', path, value: 'x' }), userView));
      expect(error).toMatchObject({ status: 400, scimType: 'invalidPath' });
    }
  });

  it('when a path-less value has an unknown attribute key, then 400 invalidPath', () => {
    const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', value: { shoeSize: 44 } }), userView));
    expect(error).toMatchObject({ scimType: 'invalidPath', code: 'SCIM_PATCH_UNKNOWN_ATTRIBUTE' });
  });

  it('when the path is malformed, then 400 invalidPath', () => {
    for (const path of ['emails[type eq "work"', 'emails]', 'emails[]', 'emails[type eq "work"]value', 'emails[type eq "work"].', 3]) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', path, value: 'x' }), userView));
      expect(error).toMatchObject({ scimType: 'invalidPath' });
    }
  });

  it('when the bracket filter does not parse, then 400 invalidPath', () => {
    const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', path: 'emails[type eq].value', value: 'x' }), userView));
    expect(error).toMatchObject({ scimType: 'invalidPath', code: 'SCIM_PATCH_PATH_FILTER' });
  });

  it('when a value filter is put on a single-valued attribute, then 400 invalidPath', () => {
    const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', path: 'name[givenName eq "x"].familyName', value: 'x' }), userView));
    expect(error).toMatchObject({ scimType: 'invalidPath' });
  });

  it('when a filter value contains a closing bracket inside quotes, then the path still parses', () => {
    const [op] = parsePatchRequest(patchBody({ op: 'replace', path: 'emails[value eq "odd]name@example.com"].type', value: 'other' }), userView);
    expect(op?.path).toMatchObject({ kind: 'attribute', filter: { text: 'value eq "odd]name@example.com"' } });
  });

  it('when paths use other casing, then they resolve to canonical attribute names', () => {
    const ops = parsePatchRequest(
      patchBody(
        { op: 'replace', path: 'NAME.GIVENNAME', value: 'x' },
        { op: 'replace', path: 'Emails[Type eq "work"].Value', value: 'x' },
        { op: 'replace', path: `${ENTERPRISE_URN.toUpperCase()}:Department`, value: 'x' },
      ),
      userView,
    );
    expect(ops.map((o) => (o.path.kind === 'attribute' ? o.path.attribute.scimPath : []))).toEqual([['name', 'givenName'], ['emails'], [ENTERPRISE_URN, 'department']]);
    expect(ops[1]?.path).toMatchObject({ subAttribute: { scimPath: ['emails', 'value'] } });
  });

  it('when add or replace targets a readOnly attribute by path, then 400 mutability', () => {
    for (const path of ['id', 'meta', 'meta.lastModified', 'groups']) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'replace', path, value: 'x' }), userView));
      expect(error).toMatchObject({ status: 400, scimType: 'mutability', code: 'SCIM_PATCH_READ_ONLY' });
    }
    const error = errorOf(() => parsePatchRequest(patchBody({ op: 'add', path: `${ENTERPRISE_URN}:manager.displayName`, value: 'Boss' }), userView));
    expect(error).toMatchObject({ scimType: 'mutability' });
  });

  it('when remove targets a required or readOnly attribute, then 400 mutability', () => {
    for (const path of ['userName', 'id', 'meta', 'groups']) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'remove', path }), userView));
      expect(error).toMatchObject({ status: 400, scimType: 'mutability' });
    }
    const error = errorOf(() => parsePatchRequest(patchBody({ op: 'Remove', path: 'displayName' }), groupView));
    expect(error).toMatchObject({ scimType: 'mutability', code: 'SCIM_PATCH_REMOVE_REQUIRED' });
  });
});

describe('parsePatchRequest: path-less values are expanded into one operation per attribute', () => {
  it('when keys are names, dotted sub-attribute paths, URN-qualified paths and extension objects, then each becomes its own path', () => {
    const ops = parsePatchRequest(
      patchBody({
        op: 'replace',
        value: {
          schemas: ['ignored'],
          displayName: 'Bjfe',
          'name.givenName': 'Kkom',
          [`${ENTERPRISE_URN}:employeeNumber`]: 'Aklq',
          [ENTERPRISE_URN]: { department: 'Sales', costCenter: '42' },
        },
      }),
      userView,
    );
    expect(ops.map((o) => (o.path.kind === 'attribute' ? o.path.attribute.scimPath.join('/') : o.path.kind))).toEqual([
      'displayName',
      'name/givenName',
      `${ENTERPRISE_URN}/employeeNumber`,
      `${ENTERPRISE_URN}/department`,
      `${ENTERPRISE_URN}/costCenter`,
    ]);
    expect(ops.every((o) => o.implicit && o.op === 'replace')).toBe(true);
  });

  it('when a path-less value names a readOnly attribute, then parsing accepts it (applying decides)', () => {
    const ops = parsePatchRequest(patchBody({ op: 'replace', value: { id: 'g-1', displayName: 'x' } }), groupView);
    expect(ops).toHaveLength(2);
  });
});

describe('parsePatchRequest: Group members', () => {
  it('when members are added, then the ids are taken from each element value', () => {
    const [op] = parsePatchRequest(
      patchBody({
        op: 'add',
        path: 'members',
        value: [
          { value: 'a', display: 'A' },
          { Value: 'b', $ref: null },
        ],
      }),
      groupView,
    );
    expect(op).toMatchObject({ path: { kind: 'members' }, memberIds: ['a', 'b'] });
  });

  it('when a member value is missing, empty or not a string, then 400 invalidValue', () => {
    for (const value of [[{ display: 'A' }], [{ value: '' }], [{ value: '  ' }], [{ value: 7 }], ['a'], [null]]) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'add', path: 'members', value }), groupView));
      expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', code: 'SCIM_PATCH_MEMBER_VALUE' });
    }
  });

  it('when a member is removed by filter, then the ids come from the value eq comparisons', () => {
    const [single] = parsePatchRequest(patchBody({ op: 'remove', path: 'members[value eq "a"]' }), groupView);
    expect(single?.memberIds).toEqual(['a']);
    const [several] = parsePatchRequest(patchBody({ op: 'remove', path: 'members[value eq "a" or Value eq "b"]' }), groupView);
    expect(several?.memberIds).toEqual(['a', 'b']);
  });

  it('when a members filter does not name ids, then 400 invalidFilter', () => {
    for (const path of ['members[display eq "Alice"]', 'members[value sw "a"]', 'members[value eq "a" and type eq "User"]', 'members[not (value eq "a")]']) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'remove', path }), groupView));
      expect(error).toMatchObject({ scimType: 'invalidFilter', code: 'SCIM_PATCH_UNSUPPORTED_MEMBER_FILTER' });
    }
  });

  it('when add or replace uses a members filter or sub-attribute, then 400 invalidPath', () => {
    for (const path of ['members[value eq "a"]', 'members.value', 'members[value eq "a"].display']) {
      const error = errorOf(() => parsePatchRequest(patchBody({ op: 'add', path, value: [{ value: 'b' }] }), groupView));
      expect(error).toMatchObject({ scimType: 'invalidPath' });
    }
  });

  it('when members are removed without a value, then no ids are named (all members)', () => {
    const [op] = parsePatchRequest(patchBody({ op: 'remove', path: 'members' }), groupView);
    expect(op?.memberIds).toBeUndefined();
  });
});
