// Command line of `npm run serve -- [--model <gguf>] [--port <n>] [--data-dir <dir>]`.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../contract/errors.ts';

export interface ServeArgs {
  modelPath?: string;
  modelDirs: string[];
  recoverHistory: boolean;
  port: number;
  dataDir?: string;
  help: boolean;
}

export const USAGE = `Usage: npm run serve -- [--model <file.gguf>] [--models-dir <dir>]… [--port <n>] [--data-dir <dir>]

Starts Chameleon's OpenAI-compatible API on http://127.0.0.1:<port>/v1.
  --model <file.gguf>  the model to serve (default: the model chosen in the app's settings)
  --models-dir <dir>   a folder whose models and VQ-GAN weights the browser UI may open (repeatable;
                       <data dir>/models always may); the page never opens other paths
  --port <n>           TCP port, 0 for any free port (default: {DEFAULT_PORT})
  --data-dir <dir>     settings and API key folder (default: the app's data folder; env CHAMELEON_DATA_DIR)
  --recover-history    if the chat history is damaged, keep it aside (renamed) and start from the
                       newest good backup (<data dir>/backups), or empty when there is none
Environment: CHAMELEON_API_KEY sets the API key instead of the generated one.`;

/**
 * Relative paths resolve against `cwd`: pass npm's INIT_CWD, since `npm run` moves the process
 * to the package root but the user typed the path in their own directory.
 */
export function parseServeArgs(argv: readonly string[], defaultPort: number, cwd: string): ServeArgs {
  let values: { model?: string; 'models-dir'?: string[]; port?: string; 'data-dir'?: string; 'recover-history'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        model: { type: 'string', short: 'm' },
        'models-dir': { type: 'string', multiple: true },
        port: { type: 'string', short: 'p' },
        'data-dir': { type: 'string' },
        'recover-history': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new AppError('api.badRequest', (err as Error).message);
  }
  let port = defaultPort;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      throw new AppError('api.badRequest', `--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}.`);
    }
  }
  for (const [flag, value] of [['--model', values.model], ['--data-dir', values['data-dir']]] as const) {
    if (value !== undefined && value.trim() === '') throw new AppError('api.badRequest', `${flag} needs a value.`);
  }
  for (const dir of values['models-dir'] ?? []) if (dir.trim() === '') throw new AppError('api.badRequest', '--models-dir needs a value.');
  return {
    port,
    help: values.help ?? false,
    modelDirs: (values['models-dir'] ?? []).map((d) => resolve(cwd, d)),
    recoverHistory: values['recover-history'] ?? false,
    ...(values.model !== undefined ? { modelPath: resolve(cwd, values.model) } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: resolve(cwd, values['data-dir']) } : {}),
  };
}
