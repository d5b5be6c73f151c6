// The layers as a rule, not a picture (house style, rule 1): every import in main/ and renderer/ is
// checked against the one direction
//
//   contract ← platform / settings / store / images ← engine ← export / models ← services ← app / server
//
// (a layer imports only layers to its left, and its own folder), the renderer imports only the
// contract, and the native-facing packages stay in their one layer. A wrong arrow fails here with
// the file, the line and the rule it breaks.
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Lower ranks are further left; a layer may import strictly lower ranks and itself. */
export const LAYER_RANK: Readonly<Record<string, number>> = {
  contract: 0,
  platform: 1,
  settings: 1,
  store: 1,
  images: 1,
  engine: 2,
  export: 3,
  models: 3,
  services: 4,
  app: 5,
  server: 5,
};

/** Packages only one layer may use. */
const PACKAGE_OWNERS: Readonly<Record<string, string>> = { electron: 'app', 'node-llama-cpp': 'engine' };
/**
 * The contract is environment-free: the renderer imports it too. Besides zod, the markdown
 * configuration the app and the export share (contract/markdown.ts) uses marked and katex, both
 * pure JavaScript that run in Node and the browser alike.
 */
const CONTRACT_PACKAGES = new Set(['zod', 'marked', 'katex']);
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** 'contract ← platform/settings/store/images ← engine ← …', from LAYER_RANK. */
const DIRECTION = [...new Set(Object.values(LAYER_RANK))]
  .sort((a, b) => a - b)
  .map((rank) => Object.keys(LAYER_RANK).filter((layer) => LAYER_RANK[layer] === rank).join('/'))
  .join(' ← ');

export interface SourceFile {
  /** Repo-relative, with forward slashes: main/engine/engineClient.ts. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

/** `main/<layer>/…` → layer; renderer files → 'renderer'; anything else → null (not checked). */
function layerOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] === 'renderer') return 'renderer';
  if (parts[0] === 'main' && parts.length > 2) return parts[1]!;
  return null;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s(?:[^'"`;]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function imports(text: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const specifier = m[1] ?? m[2]!;
    out.push({ specifier, line: text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0) });
  }
  return out;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function checkLayers(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from === null) continue;
    for (const { specifier, line } of imports(file.text)) {
      const add = (rule: string): void => void violations.push({ file: file.path, line, specifier, rule });
      if (specifier.startsWith('.')) {
        const target = relative(ROOT, resolve(ROOT, dirname(file.path), specifier)).split(sep).join('/');
        const to = layerOf(target);
        if (from === 'renderer') {
          if (to !== 'renderer' && to !== 'contract') add('the renderer imports only main/contract');
          continue;
        }
        if (to === null || to === 'renderer') {
          add(`main/${from} imports nothing outside main/`);
          continue;
        }
        if (to === from) continue;
        const [a, b] = [LAYER_RANK[from], LAYER_RANK[to]];
        if (a === undefined) add(`main/${from} is not a known layer: add it to LAYER_RANK`);
        else if (b === undefined) add(`main/${to} is not a known layer: add it to LAYER_RANK`);
        else if (b >= a) add(`main/${from} may not import main/${to} (the direction is ${DIRECTION})`);
        continue;
      }
      const pkg = packageName(specifier);
      const owner = PACKAGE_OWNERS[pkg];
      if (owner && owner !== from) add(`only main/${owner} imports ${pkg}`);
      if (from === 'contract' && !CONTRACT_PACKAGES.has(pkg)) add('main/contract imports only zod, marked and katex (it runs in the renderer too)');
      if (from === 'renderer' && NODE_BUILTINS.has(specifier)) add('the renderer runs in a browser: no Node built-ins');
    }
  }
  return violations;
}

function sources(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|cts|mts|svelte)$/.test(e.name)) out.push({ path: relative(ROOT, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(ROOT, dir));
  return out;
}

describe('layers', () => {
  it('main/ and renderer/ follow the import direction', () => {
    const files = [...sources('main'), ...sources('renderer')];
    expect(files.length).toBeGreaterThan(100);
    expect(checkLayers(files)).toEqual([]);
  });

  it('names a wrong arrow with its file, line and rule', () => {
    const wrong: SourceFile[] = [
      { path: 'main/store/ChatStore.ts', text: "import type { Foo } from '../services/appServices.ts';\n" },
      { path: 'main/engine/x.ts', text: "// a comment\nimport { app } from 'electron';\n" },
      { path: 'main/contract/x.ts', text: "import { readFileSync } from 'node:fs';\n" },
      { path: 'renderer/src/x.svelte', text: "<script lang=\"ts\">\n  import { ChatStore } from '../../main/store/ChatStore.ts';\n</script>\n" },
      { path: 'main/server/x.ts', text: "export { attach } from '../app/ipcBridge.ts';\nconst m = await import('../app/electronMain.ts');\n" },
      { path: 'main/services/ok.ts', text: "import { z } from 'zod';\nimport { AppError } from '../contract/errors.ts';\nimport { x } from './sibling.ts';\n" },
    ];
    expect(checkLayers(wrong)).toEqual([
      { file: 'main/store/ChatStore.ts', line: 1, specifier: '../services/appServices.ts', rule: expect.stringContaining('main/store may not import main/services') },
      { file: 'main/engine/x.ts', line: 2, specifier: 'electron', rule: 'only main/app imports electron' },
      { file: 'main/contract/x.ts', line: 1, specifier: 'node:fs', rule: expect.stringContaining('main/contract imports only zod') },
      { file: 'renderer/src/x.svelte', line: 2, specifier: '../../main/store/ChatStore.ts', rule: 'the renderer imports only main/contract' },
      { file: 'main/server/x.ts', line: 1, specifier: '../app/ipcBridge.ts', rule: expect.stringContaining('main/server may not import main/app') },
      { file: 'main/server/x.ts', line: 2, specifier: '../app/electronMain.ts', rule: expect.stringContaining('main/server may not import main/app') },
    ]);
  });
});
