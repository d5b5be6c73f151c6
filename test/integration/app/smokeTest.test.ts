// The packaged app's --smoke-test under plain Node: the same runSmokeTest the Electron main process
// calls, with the fork launcher instead of Electron's utilityProcess and no window: real services,
// a real engine host, the tiny generated Chameleon GGUF, one answered message.
import { describe, expect, it } from 'vitest';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { runSmokeTest, smokeTestModel } from '../../../main/app/smokeTest.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

const info = { name: 'Chameleon Desktop', version: '0.0.0-test', mode: 'electron', platform: process.platform } as const;

describe('--smoke-test', () => {
  it('reads the model from --smoke-test=<path> or --smoke-test <path>, and refuses it without one', () => {
    expect(smokeTestModel(['electron', '.', '--smoke-test=/m/tiny.gguf'])).toBe('/m/tiny.gguf');
    expect(smokeTestModel(['app', '--smoke-test', 'C:\\m\\tiny.gguf', '--no-sandbox'])).toBe('C:\\m\\tiny.gguf');
    expect(smokeTestModel(['app', '--inspect'])).toBeUndefined();
    for (const argv of [['app', '--smoke-test'], ['app', '--smoke-test='], ['app', '--smoke-test', '--no-sandbox']]) {
      expect(() => smokeTestModel(argv)).toThrow(expect.objectContaining({ code: 'api.badRequest' }));
    }
  });

  it('starts the services, loads the model, answers one message, cleans up', async () => {
    const lines: string[] = [];
    const result = await runSmokeTest({ modelPath: tinyChameleonGguf(), launcher: forkLauncher(), info, log: (l) => lines.push(l) });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.answer!.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^smoke: model loaded on cpu/);
    expect(lines[1]).toMatch(/^smoke: answered .+ \(\d+ tokens\)$/);
  });

  it('fails with the coded error, not a throw, when the model cannot load', async () => {
    const result = await runSmokeTest({ modelPath: '/no/such/model.gguf', launcher: forkLauncher(), info, log: () => undefined });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toMatch(/^(model|engine)\./);
  });
});
