// Where the app keeps its data (settings, API key, chat history, images).
import { homedir } from 'node:os';
import { join, resolve, win32 } from 'node:path';

/** Must match package.json `productName`: Electron names its userData folder after it. */
export const PRODUCT_NAME = 'Chameleon Desktop';
/** <dataDir>/models: downloaded and imported models and weights; files there may always be opened. */
export const MODELS_DIR_NAME = 'models';

export interface DataDirInputs {
  /** An explicit choice (e.g. `--data-dir`); wins over everything. Relative paths resolve against `cwd`. */
  override?: string | undefined;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  cwd?: string;
}

/**
 * The app's data directory, the same folder Electron's `app.getPath('userData')` gives the desktop
 * app, so `npm run serve` and the app share settings and the API key:
 *
 * - Linux and other Unixes: `$XDG_CONFIG_HOME/Chameleon Desktop`, or `~/.config/Chameleon Desktop`
 * - macOS: `~/Library/Application Support/Chameleon Desktop`
 * - Windows: `%APPDATA%\Chameleon Desktop` (or `~\AppData\Roaming\Chameleon Desktop`)
 *
 * Overrides, strongest first: `--data-dir <dir>` (passed here as `override`), then the
 * `CHAMELEON_DATA_DIR` environment variable (tests use it). Pure: nothing is created on disk.
 */
export function resolveDataDir(inputs: DataDirInputs = {}): string {
  const env = inputs.env ?? process.env;
  const platform = inputs.platform ?? process.platform;
  const cwd = inputs.cwd ?? process.cwd();
  const explicit = nonEmpty(inputs.override) ?? nonEmpty(env.CHAMELEON_DATA_DIR);
  if (explicit) return platform === 'win32' ? win32.resolve(cwd, explicit) : resolve(cwd, explicit);

  const home = inputs.home ?? homedir();
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', PRODUCT_NAME);
    case 'win32': {
      const appData = nonEmpty(env.APPDATA) ?? win32.join(home, 'AppData', 'Roaming');
      return win32.join(appData, PRODUCT_NAME);
    }
    default: {
      // Chromium's GetXDGDirectory: the variable when set, else ~/.config.
      return join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config'), PRODUCT_NAME);
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}
