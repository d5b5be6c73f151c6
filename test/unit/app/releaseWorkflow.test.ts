// .github/workflows/release.yml cannot run here (it needs GitHub's runners and Electron's
// binaries); what can be checked is checked: it parses, builds every promised installer (NSIS,
// dmg for arm64 and x64, AppImage + deb, the CUDA editions), launches each packaged app once with
// the smoke flag the app really reads, names only npm scripts and files that exist, and takes
// signing from secrets only. The steps' commands that run on Linux are exercised by other tests:
// writeTinyModel.ts below, the mingw build in test/packaging, --smoke-test under plain Node.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMOKE_FLAG } from '../../../main/app/smokeTest.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const { load } = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Step {
  name?: string;
  run?: string;
  if?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  'runs-on': string;
  strategy?: { matrix: { include: { runner: string; os: string; arch: string; edition: string }[] } };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push: { tags: string[] }; workflow_dispatch: unknown };
  jobs: Record<string, Job>;
}

const text = readFileSync(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');
const workflow = load(text) as Workflow;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])));

describe('release workflow', () => {
  it('runs on version tags and by hand', () => {
    expect(workflow.on.push.tags).toEqual(['v*']);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
  });

  it('packages every promised target on its own platform, the CUDA editions included', () => {
    const matrix = workflow.jobs.package!.strategy!.matrix.include;
    const targets = matrix.map((m) => `${m.os}-${m.arch}-${m.edition}`).sort();
    expect(targets).toEqual(['linux-x64-cuda', 'linux-x64-standard', 'mac-arm64-standard', 'mac-x64-standard', 'win-x64-cuda', 'win-x64-standard']);
    for (const m of matrix) expect(m.runner).toMatch({ linux: /^ubuntu-/, win: /^windows-/, mac: /^macos-/ }[m.os]!);
    expect(matrix.find((m) => m.os === 'mac' && m.arch === 'arm64')!.runner).toBe('macos-14'); // Apple silicon
    expect(runs.some((r) => r.includes('npx electron-builder --${{ matrix.os }} --${{ matrix.arch }} --publish never'))).toBe(true);
    expect(workflow.jobs.package!.env!.CHAMELEON_CUDA).toContain("matrix.edition == 'cuda'");
  });

  it('launches each packaged app once with the flag the app reads, headless on Linux', () => {
    const smoke = workflow.jobs.package!.steps.filter((s) => s.name?.startsWith('Smoke-launch'));
    expect(smoke.map((s) => s.if)).toEqual(["matrix.os == 'linux'", "matrix.os == 'win'", "matrix.os == 'mac'"]);
    for (const s of smoke) expect(s.run).toContain(`${SMOKE_FLAG}=`);
    expect(smoke[0]!.run).toMatch(/xvfb-run -a release\/linux-unpacked\/chameleon-desktop/);
    expect(smoke[0]!.run).toMatch(/release\/\*\.AppImage/);
    expect(smoke[1]!.run).toMatch(/\/S', '\/D=C:\\ChameleonSmoke'/);
    expect(smoke[2]!.run).toMatch(/hdiutil attach/);
  });

  it('names only npm scripts and files that exist, and its tiny-model step prints a model', () => {
    for (const script of runs.flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!))) expect(pkg.scripts, script).toHaveProperty(script);
    for (const file of runs.flatMap((r) => [...r.matchAll(/node_modules\/\.bin\/node (\S+\.ts)/g)].map((m) => m[1]!))) expect(existsSync(join(ROOT, file)), file).toBe(true);
    for (const dir of runs.flatMap((r) => [...r.matchAll(/\b(test\/[\w/.]*\w)/g)].map((m) => m[1]!))) expect(existsSync(join(ROOT, dir)), dir).toBe(true);
    const model = execFileSync(process.execPath, [join(ROOT, 'test', 'packaging', 'writeTinyModel.ts')], { encoding: 'utf8' }).trim();
    expect(existsSync(model) && model.endsWith('.gguf')).toBe(true);
  });

  it('signs and notarises only with secrets, and ships the Windows addon CI proved under Wine', () => {
    const env = workflow.jobs.package!.env!;
    for (const key of ['WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD', 'APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID']) expect(env[key]).toBe(`\${{ secrets.${key} }}`);
    expect(env.CSC_LINK).toContain('secrets.MAC_CSC_LINK');
    expect(env.CSC_IDENTITY_AUTO_DISCOVERY).toBe('false');
    expect(text).not.toMatch(/password:\s*\S+[^}]$/im);
    expect(workflow.jobs.package!.needs).toBe('windows-addon');
    expect(workflow.jobs['windows-addon']!.steps.some((s) => s.run?.includes('native/build.ts --target win-x64'))).toBe(true);
  });
});
