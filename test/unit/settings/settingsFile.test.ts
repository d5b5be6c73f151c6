// Tests for main/settings (the settings file the server reads its model and defaults from).
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings, settingsPath, writeSettings } from '../../../main/settings/settingsFile.ts';
import { DEFAULT_SETTINGS } from '../../../main/settings/settingsSchema.ts';
import { errorOf } from '../../fixtures/testKit.ts';

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'chm-settings-'));


describe('settings file', () => {
  it('gives the reference defaults when there is no file', async () => {
    expect(await readSettings(join(freshDir(), 'missing'))).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toEqual({
      version: 1,
      gpu: 'auto',
      gpuLayers: 'auto',
      contextSize: 4096,
      sampling: { temperature: 0.7, topP: 0.9, topK: 0, repeatPenalty: 1.2, maxTokens: 1024 },
    });
  });

  it('round-trips a partial file, filling defaults, with user-only permissions', async () => {
    const dir = join(freshDir(), 'nested');
    await writeSettings(dir, { modelPath: '/m/chameleon.gguf', threads: 3, sampling: { temperature: 0.2 } });
    const read = await readSettings(dir);
    expect(read).toMatchObject({ modelPath: '/m/chameleon.gguf', threads: 3, gpu: 'auto', sampling: { temperature: 0.2, topP: 0.9 } });
    expect(JSON.parse(readFileSync(settingsPath(dir), 'utf8'))).toEqual(read);
    if (process.platform !== 'win32') expect(statSync(settingsPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('reports a broken or invalid file with settings.invalid naming the file and field', async () => {
    const dir = freshDir();
    writeFileSync(settingsPath(dir), '{ not json');
    const bad = await errorOf(readSettings(dir));
    expect(bad.code).toBe('settings.invalid');
    expect(bad.message).toContain(settingsPath(dir));
    writeFileSync(settingsPath(dir), JSON.stringify({ gpu: 'tpu' }));
    const wrong = await errorOf(readSettings(dir));
    expect(wrong.code).toBe('settings.invalid');
    expect(wrong.details?.field).toBe('gpu');
    await expect(writeSettings(dir, { contextSize: 1 } as never)).rejects.toThrow();
  });
});
