// The export dialog's runs as the renderer's TransfersStore drives them in the desktop app: main's
// save dialog hands out a one-time handle, the export streams to that file, main's open dialog
// hands one out for the import, which lands as new chats. Real services behind the dispatcher (no
// model is loaded, so no host process starts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ClientTransport } from '../../../main/contract/apiClient.ts';
import { AppError } from '../../../main/contract/errors.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppServices } from '../../../main/services/appServices.ts';
import { ApiDispatcher } from '../../../main/services/dispatcher.ts';
import { TransfersStore, type ImportOutcome } from '../../../renderer/src/state/transfers.svelte.ts';
import { exchange } from '../../unit/store/storeTestKit.ts';
import { useTempDirs } from '../../fixtures/testKit.ts';

const freshDir = useTempDirs('chm-transfers');

describe('TransfersStore in the desktop app', () => {
  let services: AppServices;
  const picks = { save: '', open: '' };
  const imported: ImportOutcome[] = [];
  let transfers: TransfersStore;

  beforeAll(async () => {
    services = await AppServices.start({
      dataDir: freshDir(),
      launcher: forkLauncher(),
      info: { name: 'Chameleon Desktop', version: '0', mode: 'electron', platform: process.platform },
      pickExportPath: async () => picks.save || null,
      pickImportFile: async () => picks.open || null,
    });
    const dispatcher = new ApiDispatcher(services.handlers);
    const transport: ClientTransport = {
      async call(name, input) {
        const outcome = await dispatcher.call(name, input);
        if (!outcome.ok) throw AppError.fromData(outcome.error);
        return outcome.value;
      },
      subscribe: (name, listener) => dispatcher.subscribe((e) => e.name === name && listener(e.payload)),
      stream: (name, input, receiver) => dispatcher.openStream(name, input, (p) => receiver.packet(p), (e) => receiver.end(e)),
    };
    transfers = new TransfersStore(createApiClient(transport), true, { imported: async (o) => void imported.push(o) });
  });
  afterAll(async () => services?.dispose());

  it('exports to the picked file and imports a picked file, saying what happened', async () => {
    const chat = services.store.createConversation();
    exchange(services.store, chat.id, null, 'How do chameleons see?', 'With eyes that move apart.');
    picks.save = join(freshDir(), 'chat.json');
    await transfers.exportChats({ scope: { kind: 'conversation', id: chat.id }, format: 'json', branches: 'all' }, 'chat.json', false);
    expect(transfers.error).toBeUndefined();
    expect(transfers.result).toMatch(/^Saved [\d.]+ KB to .*chat\.json$/);
    expect(JSON.parse(readFileSync(picks.save, 'utf8')).conversations[0].title).toBe('How do chameleons see?');

    picks.open = picks.save;
    await transfers.importPicked();
    expect(transfers.result).toBe('Imported 1 chat from a Chameleon transcript.');
    expect(imported).toHaveLength(1);
    expect(transfers.running).toBe(false);
  });

  it('a cancelled dialog does nothing; a failed run keeps its coded error for the dialog', async () => {
    picks.save = '';
    await transfers.exportChats({ scope: { kind: 'all' }, format: 'markdown', branches: 'active' }, 'all.md', false);
    expect(transfers.result).toBe('');
    expect(transfers.error).toBeUndefined();
    picks.save = join(freshDir(), 'x.md');
    await transfers.exportChats({ scope: { kind: 'conversation', id: 424242 }, format: 'markdown', branches: 'active' }, 'x.md', false);
    expect(transfers.error).toMatchObject({ code: 'store.notFound' });
    transfers.reset();
    expect(transfers.error).toBeUndefined();
  });
});
