import { adminOpenApiDocument } from './openapi';

/** docs/openapi.json's text: the served document, two-space indented, with a final newline. */
export function renderOpenApiFile(): string {
  return `${JSON.stringify(adminOpenApiDocument(), null, 2)}\n`;
}
