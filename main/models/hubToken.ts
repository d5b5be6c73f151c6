// The user's Hugging Face token for gated repos. Electron seals it with the OS keychain
// (safeStorage) and passes a Sealer; server mode keeps it in a 0600 file in the data dir. The
// value is never logged, never put in an error and never sent across the contract.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TokenSealer {
  seal(plain: string): Buffer;
  open(sealed: Buffer): string;
}

export interface TokenStore {
  get(): Promise<string | null>;
  set(token: string | null): Promise<void>;
}

/**
 * `sealer` present: the file holds the keychain-encrypted bytes; absent: the token, mode 0600.
 * `name`: the file's base name (the Hub token's by default; remote engines keep their API keys so).
 */
export function fileTokenStore(dataDir: string, sealer?: TokenSealer, name = 'hub-token'): TokenStore {
  const path = join(dataDir, sealer ? `${name}.sealed` : name);
  return {
    async get() {
      try {
        const bytes = await readFile(path);
        const token = (sealer ? sealer.open(bytes) : bytes.toString('utf8')).trim();
        return token === '' ? null : token;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async set(token) {
      if (!token) {
        await rm(path, { force: true });
        return;
      }
      await writeFile(path, sealer ? sealer.seal(token) : token, { mode: 0o600 });
      await chmod(path, 0o600);
    },
  };
}
