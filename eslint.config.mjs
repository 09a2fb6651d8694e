// The project's lint rules: the ones that catch real bugs in this code (floating promises, promises
// passed where a callback's result is ignored, unused code, `any` leaking through boundaries), on
// top of ESLint's and typescript-eslint's recommended sets. Type-aware: it reads tsconfig.json.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', '.tools/**', 'tools/**', 'console/public/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A stylistic rule: an async callback without await still turns a throw into a rejection, which
      // the callers here rely on (SCIM services' mutate callbacks).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read HTTP answers (supertest's res.body is `any` by design) and assert on their shape;
    // typing every answer would restate the contract the assertions check. The promise rules stay.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
