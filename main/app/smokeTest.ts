// `--smoke-test=<model.gguf>`: the packaged app's self-check for the release workflow. It starts the
// app's services as the window would (a fresh data dir), loads the model, answers one message and
// reports, so a release job can launch the installed app headless and trust its exit code. No
// Electron here: electronMain.ts runs it with the utilityProcess engine launcher, and the test
// (test/integration/app/smokeTest.test.ts) with the fork launcher under plain Node.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, GenerationPacket } from '../contract/api.ts';
import { AppError, toErrorData } from '../contract/errors.ts';
import type { HostLauncher } from '../engine/protocol.ts';
import { AppServices } from '../services/appServices.ts';

export const SMOKE_FLAG = '--smoke-test';

/** The model path of `--smoke-test=<path>` (or `--smoke-test <path>`), undefined without the flag. */
export function smokeTestModel(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith(`${SMOKE_FLAG}=`)) return arg.slice(SMOKE_FLAG.length + 1) || missingModel();
    if (arg === SMOKE_FLAG) return argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[i + 1] : missingModel();
  }
  return undefined;
}

function missingModel(): never {
  throw new AppError('api.badRequest', `${SMOKE_FLAG} needs a model: ${SMOKE_FLAG}=<model.gguf>`);
}

export interface SmokeTestOptions {
  modelPath: string;
  launcher: HostLauncher;
  info: Omit<AppInfo, 'dataDir'>;
  log: (line: string) => void;
}

export interface SmokeTestResult {
  ok: boolean;
  /** the answer's text, or the coded error */
  answer?: string;
  error?: { code: string; message: string };
}

/** Runs the check in a throw-away data dir; never throws (the result says what failed). */
export async function runSmokeTest(options: SmokeTestOptions): Promise<SmokeTestResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chameleon-smoke-'));
  let services: AppServices | undefined;
  try {
    // The model comes from the command line, like the server's --model: configuration, not the page.
    services = await AppServices.start({ dataDir, launcher: options.launcher, info: options.info, modelPath: options.modelPath, loadModelAtStart: false });
    const status = await services.model.load({ modelPath: options.modelPath, contextSize: 2048 });
    const backend = status.backend;
    options.log(`smoke: model loaded on ${backend ? `${backend.kind} (${backend.gpuLayers}/${backend.totalLayers} layers on GPU)` : 'an unknown backend'}`);
    const chat = await services.handlers.commands['chats.create']({});
    const packets: GenerationPacket[] = [];
    const controller = new AbortController();
    await services.handlers.streams['messages.send'](
      { conversationId: chat.id, parentId: null, parts: [{ kind: 'text', text: 'Say hello.' }], sampling: { maxTokens: 8, seed: 1 } },
      { send: (p) => packets.push(p), signal: controller.signal },
    );
    const last = packets.at(-1);
    if (last?.type !== 'success') {
      const error = last?.type === 'error' ? last.error : { code: 'engine.aborted', message: 'the answer ended without a result' };
      return { ok: false, error: { code: error.code, message: error.message } };
    }
    const answer = packets.flatMap((p) => (p.type === 'fragment' ? [p.text] : [])).join('');
    options.log(`smoke: answered ${JSON.stringify(answer)} (${last.stats.usage.completionTokens} tokens)`);
    return { ok: true, answer };
  } catch (err) {
    const e = toErrorData(err);
    return { ok: false, error: { code: e.code, message: e.message } };
  } finally {
    await services?.dispose().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
