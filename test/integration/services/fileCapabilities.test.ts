// Paths are a capability, not a parameter (issue 10, High 1–2): the same attacks through both of
// the app's doors — the browser mode's WebSocket (a real ServerApp) and the Electron IPC bridge (the
// real bridge and sender check on Node's MessageChannel, since Electron's binary is not here) — as
// raw frames, past the typed client's own checks. Nothing the page names is read or written unless
// the user chose it; no error quotes a file's contents.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { IpcMain } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientTransport } from '../../../main/contract/apiClient.ts';
import { AppError, toErrorData } from '../../../main/contract/errors.ts';
import { WS_PATH } from '../../../main/contract/wire.ts';
import { connectWebSocket, type WebSocketConstructor } from '../../../main/contract/wsClientTransport.ts';
import { startIpcBridge, type IpcBridge } from '../../../main/app/ipcBridge.ts';
import { IPC_CHANNELS } from '../../../main/app/ipcChannels.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { ServerApp } from '../../../main/server/serverApp.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { useTempDirs } from '../../fixtures/testKit.ts';

const KEY = 'chm-capability-test-key';
const SECRET = 'TOP-SECRET-0123456789';
const freshDir = useTempDirs('chm-capability');

/** A transport's answer as a code ('ok' or the error's), and the message, for leak checks. */
async function outcome(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'ok', message: '' };
  } catch (err) {
    const e = toErrorData(err);
    return { code: e.code, message: e.message };
  }
}

function streamOutcome(transport: ClientTransport, name: string, input: unknown): Promise<{ code: string; message: string }> {
  return new Promise((resolve) => {
    let error: { code: string; message: string } | undefined;
    transport.stream(name, input, {
      packet: (p) => {
        const packet = p as { type?: string; error?: { code: string; message: string } };
        if (packet.type === 'error' && packet.error) error = packet.error;
      },
      end: (e) => resolve(e ?? error ?? { code: 'ok', message: '' }),
    });
  });
}

interface Fixture {
  root: string;
  secret: string;
  fifoOutside: string;
  fifoInModels: string;
  linkInModels: string;
  modelInModels: string;
}

function fixtureFiles(dataDir: string): Fixture {
  const root = freshDir();
  const models = join(dataDir, 'models');
  mkdirSync(models, { recursive: true });
  const secret = join(root, 'secret.txt');
  writeFileSync(secret, `${SECRET}\n`);
  const fifoOutside = join(root, 'pipe');
  const fifoInModels = join(models, 'pipe.gguf');
  execFileSync('mkfifo', [fifoOutside, fifoInModels]);
  const linkInModels = join(models, 'link.gguf');
  symlinkSync(secret, linkInModels);
  const modelInModels = join(models, 'chameleon-tiny.gguf');
  copyFileSync(tinyChameleonGguf(), modelInModels);
  return { root, secret, fifoOutside, fifoInModels, linkInModels, modelInModels };
}

/** The attacks both doors must refuse, and what each must answer. */
async function attack(transport: ClientTransport, f: Fixture, dataDir: string): Promise<void> {
  const history = join(dataDir, 'history.sqlite3');
  const before = readFileSync(history);
  const settings = (await transport.call('settings.get', {})) as Record<string, unknown>;
  const cases: [string, Promise<{ code: string; message: string }>, string][] = [
    ['model.load a file nobody chose', outcome(transport.call('model.load', { modelPath: f.secret })), 'api.forbiddenPath'],
    ['model.load /etc/passwd', outcome(transport.call('model.load', { modelPath: '/etc/passwd' })), 'api.forbiddenPath'],
    ['model.load a FIFO', outcome(transport.call('model.load', { modelPath: f.fifoOutside })), 'api.forbiddenPath'],
    ['model.load a FIFO in the models folder', outcome(transport.call('model.load', { modelPath: f.fifoInModels })), 'api.forbiddenPath'],
    ['model.load a link out of the models folder', outcome(transport.call('model.load', { modelPath: f.linkInModels })), 'api.forbiddenPath'],
    ['model.load ../ out of the models folder', outcome(transport.call('model.load', { modelPath: `models/../../${f.secret}` })), 'api.forbiddenPath'],
    ['settings.set vqganWeightsPath', outcome(transport.call('settings.set', { ...settings, vqganWeightsPath: f.secret })), 'api.forbiddenPath'],
    ['settings.set modelPath', outcome(transport.call('settings.set', { ...settings, modelPath: f.secret })), 'api.forbiddenPath'],
    ['models.convertCheckpoint a folder nobody chose', outcome(transport.call('models.convertCheckpoint', { path: '/etc', quant: 'Q4_K_M' })), 'api.forbiddenPath'],
    ['models.makeImageCapable with a head nobody chose', outcome(transport.call('models.makeImageCapable', { id: 'any-model', headPath: f.secret })), 'api.forbiddenPath'],
    ['transcripts.import {path}', outcome(transport.call('transcripts.import', { path: f.secret })), 'api.badRequest'],
    ['transcripts.import a made-up handle', outcome(transport.call('transcripts.import', { handle: 'file_madeUpHandle0123456789' })), 'api.forbiddenPath'],
    ['transcripts.export {path}', streamOutcome(transport, 'transcripts.export', { scope: { kind: 'all' }, format: 'json', path: history }), 'api.badRequest'],
    ['transcripts.export a made-up handle', streamOutcome(transport, 'transcripts.export', { scope: { kind: 'all' }, format: 'json', handle: 'file_madeUpHandle0123456789' }), 'api.forbiddenPath'],
  ];
  for (const [what, answer, code] of cases) {
    const got = await answer;
    expect({ what, code: got.code }).toEqual({ what, code });
    expect(got.message).not.toContain(SECRET);
  }
  expect(readFileSync(history).equals(before)).toBe(true);
  // A model in the models folder is the user's: it loads.
  expect(await outcome(transport.call('model.load', { modelPath: f.modelInModels }))).toEqual({ code: 'ok', message: '' });
}

describe('file capabilities over the WebSocket (browser mode)', () => {
  let server: ServerApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = freshDir();
    server = await ServerApp.start({ dataDir, port: 0, env: { CHAMELEON_API_KEY: KEY } });
  });
  afterAll(async () => server?.dispose());

  it('refuses every path nobody chose, before reading a byte', async () => {
    const transport = connectWebSocket(globalThis.WebSocket as unknown as WebSocketConstructor, `ws://127.0.0.1:${server.port}${WS_PATH}`, KEY);
    await transport.ready;
    try {
      await attack(transport, fixtureFiles(dataDir), dataDir);
    } finally {
      transport.close();
    }
  });
});

/** Electron's ipcMain, as far as the bridge uses it, on Node's own MessageChannel. */
class IpcMainStandIn {
  readonly handlers = new Map<string, (event: unknown, raw: unknown) => unknown>();
  readonly listeners = new Map<string, (event: unknown, raw: unknown) => void>();
  handle(channel: string, fn: (event: unknown, raw: unknown) => unknown): void {
    this.handlers.set(channel, fn);
  }
  on(channel: string, fn: (event: unknown, raw: unknown) => void): void {
    this.listeners.set(channel, fn);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  removeAllListeners(channel: string): void {
    this.listeners.delete(channel);
  }

  /** The page's side: every message comes from the app's own top-level frame. */
  transport(frameUrl = 'app://chameleon/index.html'): ClientTransport {
    const senderFrame = { url: frameUrl, parent: null };
    return {
      call: async (name, input) => {
        const result = (await this.handlers.get(IPC_CHANNELS.call)!({ senderFrame }, { name, input })) as { ok: boolean; value?: unknown; error?: never };
        if (!result.ok) throw AppError.fromData(result.error!);
        return result.value;
      },
      subscribe: () => () => undefined,
      stream: (name, input, receiver) => {
        const { port1, port2 } = new MessageChannel();
        const mainPort = {
          postMessage: (m: unknown) => port1.postMessage(m),
          close: () => port1.close(),
          on: (event: string, fn: (e?: unknown) => void) => (event === 'message' ? port1.on('message', (data) => fn({ data })) : port1.on('close', fn)),
          start: () => port1.start(),
        };
        port2.on('message', (m: { t: string; packet?: unknown; error?: never }) => {
          if (m.t === 'packet') receiver.packet(m.packet);
          else if (m.t === 'end') {
            receiver.end(m.error);
            port2.close();
          }
        });
        this.listeners.get(IPC_CHANNELS.stream)!({ senderFrame, ports: [mainPort] }, { name, input });
        return { cancel: () => port2.postMessage({ t: 'cancel' }) };
      },
    };
  }
}

describe('file capabilities over Electron IPC (the real bridge)', () => {
  let services: AppServices;
  let bridge: IpcBridge;
  let ipc: IpcMainStandIn;
  let dataDir: string;
  let fixture: Fixture;
  const picks = { export: '', import: '', model: '' };
  beforeAll(async () => {
    dataDir = freshDir();
    services = await AppServices.start({
      dataDir,
      launcher: forkLauncher(),
      info: { name: 'Chameleon Desktop', version: '0', mode: 'electron', platform: process.platform },
      // The native dialogs: what the user picked.
      pickExportPath: async () => picks.export,
      pickImportFile: async () => picks.import,
      pickModelFile: async () => picks.model,
    });
    ipc = new IpcMainStandIn();
    bridge = startIpcBridge(ipc as unknown as IpcMain, services.handlers, () => undefined);
    fixture = fixtureFiles(dataDir);
  });
  afterAll(async () => {
    bridge?.dispose();
    await services?.dispose();
  });

  it('refuses every path nobody chose, before reading a byte', async () => {
    await attack(ipc.transport(), fixture, dataDir);
  });

  it('opens what the user picked in a dialog: export and import once per handle, models for the run', async () => {
    const page = ipc.transport();
    picks.export = join(fixture.root, 'export.json');
    const { file } = (await page.call('transcripts.pickExportPath', { defaultName: 'chats.json' })) as { file: { handle: string; path: string } };
    expect(file.path).toBe(picks.export);
    expect(await streamOutcome(page, 'transcripts.export', { scope: { kind: 'all' }, format: 'json', handle: file.handle })).toEqual({ code: 'ok', message: '' });
    expect(existsSync(picks.export)).toBe(true);
    // A handle works once, and only for what it was made for.
    expect((await streamOutcome(page, 'transcripts.export', { scope: { kind: 'all' }, format: 'json', handle: file.handle })).code).toBe('api.forbiddenPath');
    picks.import = picks.export;
    const picked = (await page.call('transcripts.pickImportFile', {})) as { file: { handle: string } };
    expect((await outcome(page.call('transcripts.import', { handle: picked.file.handle }))).code).toBe('ok');
    expect((await outcome(page.call('transcripts.import', { handle: picked.file.handle }))).code).toBe('api.forbiddenPath');

    // A FIFO picked in the dialog (say) is still only opened as a regular file: refused at once.
    picks.import = fixture.fifoOutside;
    const fifo = (await page.call('transcripts.pickImportFile', {})) as { file: { handle: string } };
    const started = Date.now();
    expect((await outcome(page.call('transcripts.import', { handle: fifo.file.handle }))).code).toBe('import.invalid');
    expect(Date.now() - started).toBeLessThan(5000);

    picks.model = join(fixture.root, 'picked.gguf');
    copyFileSync(tinyChameleonGguf(), picks.model);
    const { path } = (await page.call('model.pickFile', {})) as { path: string };
    expect(await outcome(page.call('model.load', { modelPath: path }))).toEqual({ code: 'ok', message: '' });

    // Not from the app's own top-level page: refused by the sender check, whatever it asks.
    expect(await outcome(ipc.transport('https://evil.example/').call('settings.get', {}))).toMatchObject({ code: 'api.forbiddenOrigin' });
  });
});
