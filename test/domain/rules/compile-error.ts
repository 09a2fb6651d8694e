import { AppError } from '../../../src/errors/app-error';
import { compileRule } from '../../../src/domain/rules';
import type { SchemaView } from '../../../src/attributes/types';

/** The error compiling `text` raises; fails the test when it compiles. */
export function compileErrorOf(view: SchemaView, text: string): AppError {
  try {
    compileRule(view, text);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`"${text}" compiled without an error`);
}
