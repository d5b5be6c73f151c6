// Paths are a capability, not a parameter (house style): a path from the renderer or a WebSocket
// client is never opened as given. Main opens a file only when the user chose it —
//   - in a native dialog that main itself opened (Electron): exports and imports get a one-time
//     opaque handle, models and VQ-GAN weights are remembered as chosen for this run;
//   - by configuration: the settings' model and weights (the user set them, each checked when set),
//     the server's --model;
//   - or inside a models folder: <dataDir>/models and the server's --models-dir folders.
// Everything else is api.forbiddenPath, for IPC and the WebSocket alike, before any byte is read.
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { AppError } from '../contract/errors.ts';

/** What a chosen file is for: a model and the weights persist in the settings, the others are one-time. */
export type FilePurpose = 'model' | 'vqganWeights' | 'import' | 'export';

export interface FileAccessOptions {
  dataDir: string;
  /** Folders whose files may be opened as models or weights (the data folder's models/ first). */
  modelDirs: readonly string[];
  /** The paths the configuration names now (settings, --model): trusted, they were set by the user. */
  configured(purpose: 'model' | 'vqganWeights'): readonly (string | undefined)[];
  /** Whether native dialogs exist (Electron): the error message says what to do instead. */
  dialogs: boolean;
}

/**
 * A path in the form main compares: absolute, symlinks resolved — for a file that does not exist
 * (yet), those of its nearest existing folder, so a missing file in a linked models folder is
 * still inside it.
 */
function canonical(path: string, base: string): string {
  const absolute = isAbsolute(path) ? path : resolve(base, path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(canonical(parent, base), basename(absolute));
  }
}

function isInside(path: string, dir: string): boolean {
  const root = dir.endsWith(sep) ? dir : dir + sep;
  return path.startsWith(root);
}

export class FileAccess {
  readonly #o: FileAccessOptions;
  readonly #chosen = { model: new Set<string>(), vqganWeights: new Set<string>() };
  readonly #handles = new Map<string, { purpose: 'import' | 'export'; path: string }>();

  constructor(options: FileAccessOptions) {
    this.#o = options;
  }

  /** A model or weights file the user picked in a native dialog: allowed for the rest of this run. */
  chose(purpose: 'model' | 'vqganWeights', path: string): string {
    const real = canonical(path, this.#o.dataDir);
    this.#chosen[purpose].add(real);
    return path;
  }

  /** An opaque, one-time handle for a file picked in a native dialog (import or export target). */
  handleFor(purpose: 'import' | 'export', path: string): string {
    const handle = `file_${randomBytes(18).toString('base64url')}`;
    this.#handles.set(handle, { purpose, path });
    return handle;
  }

  /** The path behind a handle, once; a handle for another purpose, used or made up is refused. */
  take(purpose: 'import' | 'export', handle: string): string {
    const entry = this.#handles.get(handle);
    if (!entry || entry.purpose !== purpose) throw new AppError('api.forbiddenPath', `No file was chosen for this ${purpose}: choose one in the ${purpose} dialog.`);
    this.#handles.delete(handle);
    return entry.path;
  }

  /** The model or weights path when the user chose it (dialog, configuration, models folder); else api.forbiddenPath. */
  check(purpose: 'model' | 'vqganWeights', path: string): string {
    const real = canonical(path, this.#o.dataDir);
    if (this.#chosen[purpose].has(real)) return path;
    for (const configured of this.#o.configured(purpose)) if (configured && canonical(configured, this.#o.dataDir) === real) return path;
    for (const dir of this.#o.modelDirs) {
      if (isInside(real, canonical(dir, this.#o.dataDir)) && this.#isRegularOrFolder(real)) return path;
    }
    const where = this.#o.modelDirs.join(', ');
    throw new AppError(
      'api.forbiddenPath',
      this.#o.dialogs
        ? `Choose the file with the Browse… button: only files chosen there, or in the models folder (${where}), can be opened.`
        : `In the browser only files in the models folders (${where}) can be opened, or a model given to the server with --model. Move the file there, or start the server with --models-dir <folder>.`,
      { path, modelDirs: [...this.#o.modelDirs] },
    );
  }

  get modelDirs(): readonly string[] {
    return this.#o.modelDirs;
  }

  /** Inside a models folder only regular files (and folders of weight shards) count: no FIFOs or devices. */
  #isRegularOrFolder(path: string): boolean {
    try {
      const stats = statSync(path);
      return stats.isFile() || stats.isDirectory();
    } catch {
      return true; // missing: the loader reports model.notFound, which says more than "forbidden"
    }
  }
}
