// The engine router on its own files, with a remote engine served by the loopback replay of the
// vLLM exchange: what is stored (never the key in engines.json), what is refused, what survives a
// restart, and that the API's model state serves the remote model while it is active.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnginesSnapshot } from '../../../main/contract/remoteEngines.ts';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { EngineRouter } from '../../../main/services/engineRouter.ts';
import { EventHub } from '../../../main/services/eventHub.ts';
import { ModelState } from '../../../main/services/modelState.ts';
import { SettingsService } from '../../../main/services/settingsService.ts';
import { codeOf } from '../../fixtures/testKit.ts';
import { startReplayServer, type ReplayServer } from '../../fixtures/remote/replayServer.ts';
import { freePort } from '../../tools/llamaServerProcess.ts';

const recording = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'fixtures', 'remote', 'vllm-exchange.json');

describe('engine router', () => {
  let server: ReplayServer;
  let dataDir: string;
  // Never asked to load anything here: its host process is never started.
  const local = new EngineClient({ launcher: forkLauncher() });
  const open = (seen: EnginesSnapshot[] = []) => EngineRouter.open({ local, dataDir, onChanged: (s) => seen.push(s), onStatus: () => undefined });

  beforeAll(async () => {
    server = await startReplayServer(recording);
    server.requireKey('vllm-secret');
    dataDir = mkdtempSync(join(tmpdir(), 'chameleon-router-'));
  });
  afterAll(async () => {
    await server.close();
    await local.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is the local engine until a remote one is added and chosen', async () => {
    const router = await open();
    expect(router.snapshot()).toEqual({ active: 'local', engines: [], keyStorage: 'file' });
    expect(router.identity()).toEqual({ kind: 'local', name: 'This computer', model: '' });
    expect(router.servedRemotely()).toBeNull();
  });

  it('refuses an unreachable server and a refused key, storing nothing', async () => {
    const router = await open();
    expect(await codeOf(router.add({ name: 'x', kind: 'vllm', baseUrl: `http://127.0.0.1:${await freePort()}` }))).toBe('remote.unreachable');
    expect(await codeOf(router.add({ name: 'x', kind: 'vllm', baseUrl: server.baseUrl, apiKey: 'wrong' }))).toBe('remote.unauthorized');
    expect(router.snapshot().engines).toEqual([]);
  });

  it('stores the engine without its key, serves its model to the API while active, and remembers it', async () => {
    const seen: EnginesSnapshot[] = [];
    const router = await open(seen);
    const added = await router.add({ name: 'GPU box', kind: 'vllm', baseUrl: server.baseUrl, apiKey: 'vllm-secret' });
    const id = added.engines[0]!.id;
    expect(readFileSync(join(dataDir, 'engines.json'), 'utf8')).not.toContain('vllm-secret');
    expect(statSync(join(dataDir, `engine-key-${id}`)).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(seen)).not.toContain('vllm-secret');

    await router.use(id);
    expect(router.getStatus()).toMatchObject({ state: 'ready', model: { fileName: 'facebook/chameleon-7b', contextSize: 4096 } });
    expect(router.identity()).toEqual({ kind: 'vllm', name: 'GPU box', model: 'facebook/chameleon-7b' });
    const events = new EventHub();
    const model = new ModelState({ engine: router, settings: await SettingsService.open(dataDir, events), events, dataDir });
    expect(model.served?.id).toBe('facebook/chameleon-7b');

    // A restart reconnects to the engine chosen last time, with its stored key.
    const again = await open();
    await expect.poll(() => again.snapshot().remote?.state).toBe('ready');
    expect(again.snapshot().engines[0]).toMatchObject({ id, name: 'GPU box', hasApiKey: true });

    const removed = await again.remove(id);
    expect(removed).toMatchObject({ active: 'local', engines: [] });
    expect(() => statSync(join(dataDir, `engine-key-${id}`))).toThrow();
  });
});
