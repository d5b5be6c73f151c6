// One lint setup for the whole repo. The `no-restricted-imports` blocks below enforce the
// process boundaries of docs/house-style rule 1: each layer may only import what it is allowed to.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net'];

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'native/build/', 'native/.ggml/', 'test/fixtures/.generated/', 'renderer/dist/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  // Only the engine talks to node-llama-cpp, only the Electron shell imports electron (the engine
  // included: its utilityProcess launcher lives in main/app). test/unit/architecture/layers.test.ts
  // checks the whole import direction between main/'s folders.
  {
    files: ['**/*.ts', '**/*.svelte'],
    ignores: ['main/engine/**', 'main/app/**', 'test/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron'], message: 'Only main/app (the Electron shell) may import electron.' }, { group: ['node-llama-cpp', 'node-llama-cpp/*'], message: 'Only main/engine may import node-llama-cpp.' }] }],
    },
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron'], message: 'Only main/app (the Electron shell) may import electron.' }] }],
    },
  },
  {
    files: ['main/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node-llama-cpp', 'node-llama-cpp/*'], message: 'Only main/engine may import node-llama-cpp.' }] }],
    },
  },
  // The contract is environment-free: the renderer imports it too.
  {
    files: ['main/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: nodeBuiltins, message: 'main/contract must stay environment-free.' },
        { group: ['electron', 'node-llama-cpp', 'better-sqlite3', 'sharp', 'ws'], message: 'main/contract must stay environment-free.' },
        { group: ['../*', '!../contract/*'], message: 'main/contract imports nothing else from main/.' },
      ] }],
    },
  },
  // The renderer is an untrusted web page: it sees main only through the contract.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: nodeBuiltins, message: 'The renderer runs in a browser.' },
        { group: ['electron', 'node-llama-cpp', 'better-sqlite3', 'sharp', 'ws'], message: 'The renderer runs in a browser.' },
        { group: ['**/main/*', '!**/main/contract', '!**/main/contract/*'], message: 'The renderer may import only main/contract.' },
      ] }],
    },
  },
);
