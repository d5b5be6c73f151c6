// `npm run serve`: the OpenAI-compatible local server without the desktop app.
// Prints `listening on http://127.0.0.1:<port>` and where the API key is stored, then one line
// per request; SIGINT/SIGTERM shut it down cleanly (the engine host process included).
import { toErrorData } from '../contract/errors.ts';
import { resolveDataDir } from '../platform/dataDir.ts';
import { API_KEY_ENV } from './apiKey.ts';
import { parseServeArgs, USAGE } from './cliArgs.ts';
import { DEFAULT_PORT, ServerApp, type ServerEvent } from './serverApp.ts';

function describe(event: ServerEvent): string {
  switch (event.type) {
    case 'modelLoading':
      return `loading model ${event.path}`;
    case 'modelReady': {
      const b = event.status.backend;
      const m = event.status.model;
      const backend = b ? `${b.kind}${b.deviceNames.length ? ` (${b.deviceNames.join(', ')})` : ''}, ${b.gpuLayers}/${b.totalLayers} layers on GPU, ${b.threads} thread${b.threads === 1 ? '' : 's'}` : 'unknown backend';
      return `model ready: ${m?.fileName ?? '?'}, context ${m?.contextSize ?? '?'}, ${backend}${b?.cpuFallbackReason ? ` — CPU because ${b.cpuFallbackReason}` : ''}`;
    }
    case 'modelFailed':
      return `model failed to load [${event.error.code}]: ${event.error.message}`;
    case 'completion': {
      const { result, stream } = event.log;
      return `completion ${stream ? 'stream' : 'json'}: ${result.stopReason}, ${result.usage.promptTokens} prompt + ${result.usage.completionTokens} completion tokens, ${result.timings.tokensPerSecond.toFixed(1)} tok/s`;
    }
    case 'requestFailed':
      return `${event.method} ${event.path} → [${event.error.code}] ${event.error.message}`;
  }
}

async function main(): Promise<number> {
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let args;
  try {
    args = parseServeArgs(process.argv.slice(2), DEFAULT_PORT, cwd);
  } catch (err) {
    console.error(`${toErrorData(err).message}\n\n${USAGE.replace('{DEFAULT_PORT}', String(DEFAULT_PORT))}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE.replace('{DEFAULT_PORT}', String(DEFAULT_PORT)));
    return 0;
  }
  const dataDir = resolveDataDir({ override: args.dataDir, cwd });
  let app: ServerApp;
  try {
    app = await ServerApp.start({
      dataDir,
      port: args.port,
      ...(args.modelPath ? { modelPath: args.modelPath } : {}),
      modelDirs: args.modelDirs,
      recoverHistory: args.recoverHistory,
      onEvent: (event) => (event.type === 'modelFailed' || event.type === 'requestFailed' ? console.error : console.log)(describe(event)),
    });
  } catch (err) {
    const e = toErrorData(err);
    console.error(`could not start the server [${e.code}]: ${e.message}`);
    return 1;
  }
  console.log(
    app.apiKey.source === 'env'
      ? `API key: from the ${API_KEY_ENV} environment variable (not stored)`
      : `API key stored in ${app.apiKey.path}${app.apiKey.created ? ' (generated now)' : ''}`,
  );
  console.log(`data dir: ${dataDir}`);
  const recovery = app.app.store.recovery;
  if (recovery) console.log(`history recovered: the damaged file is kept as ${recovery.movedTo}; ${recovery.restoredFrom ? `restored from the backup ${recovery.restoredFrom}` : 'no good backup existed, so the history starts empty'}`);
  if (!app.startupModelPath) console.log('no model configured: pass --model <file.gguf> or choose one in the app; the API answers api.noModel until then');
  // Like a notebook server's token URL: the page reads the key from the fragment (never sent to the
  // server in the request line) and removes it from the address bar.
  console.log(`browser UI: ${app.url}/#key=${encodeURIComponent(app.apiKey.key)}`);
  // Last, so tools that wait for this line find everything above it already printed.
  console.log(`listening on ${app.url}`);

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: shutting down`);
      void app.dispose().then(
        () => {
          console.log('stopped');
          done(0);
        },
        (err: unknown) => {
          console.error(`shutdown failed: ${toErrorData(err).message}`);
          done(1);
        },
      );
    };
    // Stay subscribed: npm forwards the terminal's Ctrl-C, so the same signal often arrives twice,
    // and the default action of the second would kill us mid-shutdown.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

process.exitCode = await main();
