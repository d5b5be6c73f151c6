// The settings file as the app sees it while running: read once at start, cached, written
// atomically on change (main/settings owns the file format), and announced as settings.changed.
import type { Settings } from '../contract/api.ts';
import { readSettings, writeSettings } from '../settings/settingsFile.ts';
import type { AppSettings } from '../settings/settingsSchema.ts';
import { expandHome } from '../platform/expandHome.ts';
import type { EventHub } from './eventHub.ts';

export function toView(settings: AppSettings): Settings {
  const { version: _version, ...view } = settings;
  return view;
}

export class SettingsService {
  readonly #dataDir: string;
  readonly #events: EventHub;
  #current: Settings;

  private constructor(dataDir: string, events: EventHub, current: Settings) {
    this.#dataDir = dataDir;
    this.#events = events;
    this.#current = current;
  }

  static async open(dataDir: string, events: EventHub): Promise<SettingsService> {
    return new SettingsService(dataDir, events, toView(await readSettings(dataDir)));
  }

  get(): Settings {
    return structuredClone(this.#current);
  }

  async set(next: Settings): Promise<Settings> {
    // Typed paths: `~/…` means the home folder (issue 15, defect 11).
    const paths = {
      ...(next.modelPath ? { modelPath: expandHome(next.modelPath) } : {}),
      ...(next.vqganWeightsPath ? { vqganWeightsPath: expandHome(next.vqganWeightsPath) } : {}),
    };
    this.#current = toView(await writeSettings(this.#dataDir, { ...next, ...paths }));
    this.#events.emit('settings.changed', this.get());
    return this.get();
  }
}
