// A real native abort inside llama.cpp must cost only the host process: the parent reports
// engine.crashed with the signal and llama.cpp's own assert text, and the next request runs on a
// fresh (real) host.
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppError } from '../../../main/contract/errors.ts';
import type { EngineStatus } from '../../../main/contract/engine.ts';
import type { HostLauncher } from '../../../main/engine/protocol.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

const aborting = forkLauncher({ entry: fileURLToPath(new URL('./abortingHost.ts', import.meta.url)) });
const real = forkLauncher();
let starts = 0;
// First start: the host that aborts; every restart after it: the real engine host.
const launcher: HostLauncher = () => (starts++ === 0 ? aborting() : real());

describe('native abort in the host', () => {
  const client = new EngineClient({ launcher });
  afterAll(async () => {
    await client.dispose();
  });

  it('reports the abort with its reason and recovers on the next request', async () => {
    const statuses: EngineStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const err = await client.load({ modelPath: tinyChameleonGguf() }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('engine.crashed');
    const details = (err as AppError).details as { signal: string | null; exitCode: number | null; stderr: string[] };
    expect(details.signal === 'SIGABRT' || details.exitCode === 134).toBe(true);
    expect(details.stderr.join('\n')).toContain('GGML_ASSERT');
    expect((err as AppError).message).toContain('GGML_ASSERT');
    expect(statuses.at(-1)?.state).toBe('crashed');

    // The app is still here; the next request starts the real host and reloads the model.
    const r = await client.generate({ sessionId: 'after-abort', turns: [{ role: 'user', segments: [{ type: 'text', text: 'hi' }] }], sampling: { maxTokens: 3, seed: 1 } });
    expect(r.usage.completionTokens).toBe(3);
    expect(client.getStatus().state).toBe('ready');
    expect(starts).toBe(2);
  });
});
