/**
 * TypeScript declarations from the admin API's document (components.schemas, OpenAPI 3.0 JSON
 * Schema as src/admin/contract/document.ts writes it): the console's client (console/src, built
 * on its own without the server's modules) imports the answers' types from the generated
 * console/src/admin-api.d.ts instead of keeping a hand copy. `npm run docs:openapi` writes it;
 * test/admin/console-types.test.ts fails when it is not current.
 */
type Json = Record<string, unknown>;

const REF = '#/components/schemas/';
const isName = (key: string): boolean => /^[A-Za-z_$][\w$]*$/.test(key);

function comment(description: unknown, indent: string): string {
  if (typeof description !== 'string' || description === '') return '';
  return `${indent}/** ${description.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */\n`;
}

/** The TypeScript type of one JSON Schema (nested objects written inline). */
export function typeOf(schema: Json, indent = ''): string {
  const nullable = schema.nullable === true;
  const core = coreTypeOf(schema, indent);
  return nullable && !/\bnull$/.test(core) ? `${core} | null` : core;
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.length === 1 ? unique[0]! : unique.join(' | ');
}

function coreTypeOf(schema: Json, indent: string): string {
  if (typeof schema.$ref === 'string') return schema.$ref.replace(REF, '');
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => (v === null ? 'null' : JSON.stringify(v))));
  if ('const' in schema) return JSON.stringify(schema.const);
  const variants = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
  if (Array.isArray(variants) && schema.type === undefined && schema.properties === undefined) return union(variants.map((v) => typeOf(v, indent)));
  // allOf beside a type only adds checks (several patterns); alone it is an intersection.
  if (Array.isArray(schema.allOf) && schema.type === undefined) return (schema.allOf as Json[]).map((v) => typeOf(v, indent)).join(' & ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const item = typeOf((schema.items ?? {}) as Json, indent);
      return /[ |&]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
      return objectOf(schema, indent);
    default:
      return schema.properties ? objectOf(schema, indent) : 'unknown';
  }
}

function objectOf(schema: Json, indent: string): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const open = schema.additionalProperties !== false && schema.additionalProperties !== undefined;
  const inner = `${indent}  `;
  const lines = Object.entries(properties).map(([key, value]) => {
    const name = isName(key) ? key : JSON.stringify(key);
    return `${comment(value.description, inner)}${inner}${name}${required.has(key) ? '' : '?'}: ${typeOf(value, inner)};\n`;
  });
  if (lines.length === 0) return open ? 'Record<string, unknown>' : 'Record<string, never>';
  if (open) lines.push(`${inner}[key: string]: unknown;\n`);
  return `{\n${lines.join('')}${indent}}`;
}

/** The named schemas `names` and every named schema they refer to, as exported type aliases. */
export function declarationsOf(schemas: Record<string, Json>, names: readonly string[]): string {
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    if (wanted.has(name)) return;
    const schema = schemas[name];
    if (!schema) throw new Error(`No schema ${name} in the document`);
    wanted.add(name);
    for (const m of JSON.stringify(schema).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) visit(m[1]!);
  };
  names.forEach(visit);
  return [...wanted]
    .sort()
    .map((name) => `${comment(schemas[name]!.description, '')}export type ${name} = ${typeOf({ ...schemas[name]!, description: undefined })};\n`)
    .join('\n');
}
