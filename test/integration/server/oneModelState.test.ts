// Issue 9's bug, as a new user met it: `npm run serve` without --model, a model loaded from the
// browser UI — the API must serve that model (it used to list nothing and answer api.noModel), name
// the model after a switch, take its default sampling from the live settings, and a --model must
// show in Settings. One composition root: everything reads the same model state.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../../main/contract/apiClient.ts';
import { WS_PATH } from '../../../main/contract/wire.ts';
import { connectWebSocket, type WebSocketConstructor } from '../../../main/contract/wsClientTransport.ts';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { useTempDirs } from '../../fixtures/testKit.ts';

const KEY = 'chm-one-model-state-key';
const freshDir = useTempDirs('chm-one-model');

async function browserUi(server: ServerApp) {
  const transport = connectWebSocket(globalThis.WebSocket as unknown as WebSocketConstructor, `ws://127.0.0.1:${server.port}${WS_PATH}`, KEY);
  await transport.ready;
  return { api: createApiClient(transport), close: () => transport.close() };
}

describe('one model state for the browser UI and the OpenAI API', () => {
  it('serves the model the UI loads, follows a switch and the live sampling defaults', async () => {
    const models = freshDir();
    const first = join(models, 'chameleon-first.gguf');
    const second = join(models, 'chameleon-second.gguf');
    copyFileSync(tinyChameleonGguf(), first);
    copyFileSync(tinyChameleonGguf(), second);
    const server = await ServerApp.start({ dataDir: freshDir(), port: 0, modelDirs: [models], env: { CHAMELEON_API_KEY: KEY } });
    const ui = await browserUi(server);
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
      expect((await client.models.list()).data).toEqual([]);

      await ui.api.call('model.load', { modelPath: first });
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['chameleon-first']);
      const answer = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, seed: 3 });
      expect(answer.model).toBe('chameleon-first');
      expect(answer.usage!.completion_tokens).toBe(2);

      // Switching in the UI switches what the API serves.
      await ui.api.call('model.load', { modelPath: second });
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['chameleon-second']);
      expect((await ui.api.call('settings.get')).modelPath).toBe(second);

      // The API's defaults are the settings' sampling now, not a start-up snapshot.
      const settings = await ui.api.call('settings.get');
      await ui.api.call('settings.set', { ...settings, sampling: { ...settings.sampling, maxTokens: 3 } });
      const defaulted = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], seed: 3 });
      expect(defaulted.usage!.completion_tokens).toBe(3);
      expect(defaulted.choices[0]!.finish_reason).toBe('length');

      // Unloaded in the UI: the API says so instead of answering with a model it no longer has.
      await ui.api.call('model.unload');
      expect((await client.models.list()).data).toEqual([]);
      await expect(client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 503, code: 'api.noModel' });
    } finally {
      ui.close();
      await server.dispose();
    }
  });

  it('shows a --model in Settings and keeps the served model when a switch fails', async () => {
    const dataDir = freshDir();
    const server = await ServerApp.start({ dataDir, port: 0, modelPath: tinyChameleonGguf(), env: { CHAMELEON_API_KEY: KEY } });
    const ui = await browserUi(server);
    try {
      await server.app.startupLoad;
      expect((await ui.api.call('settings.get')).modelPath).toBe(tinyChameleonGguf());
      expect(await ui.api.call('model.status')).toMatchObject({ state: 'ready', settings: { modelPath: tinyChameleonGguf() } });

      // A bad file chosen in the UI is refused with its code; the API goes on answering (issue 10, 6).
      await expect(ui.api.call('model.load', { modelPath: join(dataDir, 'models', 'missing.gguf') })).rejects.toMatchObject({ code: 'model.notFound' });
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const answer = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 2 });
      expect(answer.usage!.completion_tokens).toBe(2);
      expect((await ui.api.call('settings.get')).modelPath).toBe(tinyChameleonGguf());
    } finally {
      ui.close();
      await server.dispose();
    }
  });

  it('refuses a second owner of the data folder, naming the first', async () => {
    const dataDir = freshDir();
    const server = await ServerApp.start({ dataDir, port: 0, env: { CHAMELEON_API_KEY: KEY } });
    try {
      await expect(ServerApp.start({ dataDir, port: 0, env: { CHAMELEON_API_KEY: KEY } })).rejects.toMatchObject({
        code: 'app.dataDirInUse',
        details: { pid: process.pid },
      });
      // The first owner is untouched by the refused start.
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
      expect((await client.models.list()).data).toEqual([]);
    } finally {
      await server.dispose();
    }
    // Released on dispose: the folder can be opened again.
    await (await ServerApp.start({ dataDir, port: 0, env: { CHAMELEON_API_KEY: KEY } })).dispose();
  });
});
