import { isStoredPath } from './compile-mongo';
import type { AttributeDefinition, SchemaDefinition, SchemaView } from '../attributes/types';

/**
 * Names the product documents use that are not SCIM attribute names. `email` (as in
 * `email.endsWith('@support.company.com')`) means any of the user's email addresses.
 */
export const RULE_ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = {
  email: 'emails.value',
};

/** The attribute path a rule's written path stands for (aliases resolved; case-insensitive). */
export function canonicalRulePath(path: string): string {
  return RULE_ATTRIBUTE_ALIASES[path.toLowerCase()] ?? path;
}

/** The schema view rules are compiled against: a SchemaView that can also list its attributes. */
export interface RuleSchemaView extends SchemaView {
  coreAttributes(): readonly AttributeDefinition[];
  readonly extensions: readonly { readonly definition: SchemaDefinition }[];
}

function canList(view: SchemaView): view is RuleSchemaView {
  const candidate = view as Partial<RuleSchemaView>;
  return typeof candidate.coreAttributes === 'function' && Array.isArray(candidate.extensions);
}

const namesCache = new WeakMap<SchemaView, readonly string[]>();

/**
 * Every attribute path a rule may name, for "did you mean" suggestions: core attributes and
 * their sub-attributes, extension attributes bare (`department`) and qualified by their URN,
 * `groups` (IdP groups) and the aliases. Paths that are not stored (meta.location, password,
 * sub-attributes of groups) are left out: rules cannot use them.
 */
export function ruleAttributeNames(view: SchemaView): readonly string[] {
  const cached = namesCache.get(view);
  if (cached) return cached;
  const names: string[] = [];
  const add = (path: string) => {
    if (path.toLowerCase() === 'groups' && view.resourceType === 'User') {
      names.push('groups');
      return;
    }
    const resolved = view.resolve(path);
    if (resolved !== undefined && isStoredPath(resolved.mongoPath) && !names.includes(path)) names.push(path);
  };
  const addAttribute = (definition: AttributeDefinition, prefix: string) => {
    if (definition.mutability === 'writeOnly') return;
    if (definition.name === 'groups' && prefix === '' && view.resourceType === 'User') {
      add('groups');
      return;
    }
    if (definition.type !== 'complex') {
      add(`${prefix}${definition.name}`);
      return;
    }
    for (const sub of definition.subAttributes ?? []) {
      if (!sub.name.startsWith('$')) add(`${prefix}${definition.name}.${sub.name}`);
    }
  };
  if (canList(view)) {
    for (const definition of view.coreAttributes()) addAttribute(definition, '');
    for (const extension of view.extensions) {
      for (const definition of extension.definition.attributes) addAttribute(definition, '');
    }
    for (const extension of view.extensions) {
      for (const definition of extension.definition.attributes) addAttribute(definition, `${extension.definition.id}:`);
    }
  }
  if (view.resourceType === 'User') names.push(...Object.keys(RULE_ATTRIBUTE_ALIASES));
  namesCache.set(view, names);
  return names;
}
