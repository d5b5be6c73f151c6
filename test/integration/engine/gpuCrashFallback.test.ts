// A GPU backend that aborts the host before its first evaluation (CUDA kernels built for a newer
// driver) must cost one crash, not a crash loop: under 'auto' the engine restarts without it and
// says why; an explicit choice of it gets engine.gpuCrashed instead of a silent retry. The host
// is the real one behind gpuAbortingHost.ts, whose CUDA load dies of a genuine native abort.
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../../../main/engine/engineClient.ts';
import { forkLauncher } from '../../../main/engine/launchers/forkLauncher.ts';
import { AppError } from '../../../main/contract/errors.ts';
import type { ChatTurn, EngineStatus } from '../../../main/contract/engine.ts';
import type { HostLauncher } from '../../../main/engine/protocol.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';

const gpuAborting = forkLauncher({ entry: fileURLToPath(new URL('./gpuAbortingHost.ts', import.meta.url)) });
const hi: ChatTurn[] = [{ role: 'user', segments: [{ type: 'text', text: 'hi' }] }];

function counting(): { launcher: HostLauncher; starts: () => number } {
  let n = 0;
  return {
    launcher: () => {
      n++;
      return gpuAborting();
    },
    starts: () => n,
  };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('GPU backend that crashes before its first evaluation', () => {
  const hosts = counting();
  const client = new EngineClient({ launcher: hosts.launcher });
  const explicitHosts = counting();
  const explicit = new EngineClient({ launcher: explicitHosts.launcher });
  afterAll(async () => {
    await client.dispose();
    await explicit.dispose();
  });

  it('auto: reports the CUDA crash, then reloads without CUDA, says why, and generates', async () => {
    const statuses: EngineStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const err = await failure(client.load({ modelPath: tinyChameleonGguf(), gpu: 'auto' }));
    expect(err.code).toBe('engine.crashed');
    expect(err.message).toMatch(/^The CUDA backend crashed on this machine before its first answer \(SIGABRT: .*GGML_ASSERT.*\)\. It restarts without CUDA/);
    expect(err.details).toMatchObject({ signal: 'SIGABRT', gpuBackend: 'cuda' });
    expect(client.getStatus().state).toBe('crashed');
    expect(client.getStatus().crashedBackends).toEqual([{ kind: 'cuda', crash: expect.stringMatching(/^SIGABRT: .*GGML_ASSERT/) as unknown }]);

    // The next request restarts the host, which now avoids CUDA.
    const r = await client.generate({ sessionId: 'fallback', turns: hi, sampling: { maxTokens: 3, seed: 1 } });
    expect(r.usage.completionTokens).toBe(3);
    const status = client.getStatus();
    expect(status.state).toBe('ready');
    expect(hosts.starts()).toBe(2);
    expect(status.backend?.kind).not.toBe('cuda');
    if (status.backend?.kind === 'cpu') {
      expect(status.backend.cpuFallbackReason).toMatch(
        /^The CUDA backend crashed on this machine \(SIGABRT: .*GGML_ASSERT.*\); using the CPU instead\. Update the GPU driver to use the GPU\.$/,
      );
    }
    expect(status.crashedBackends?.map((c) => c.kind)).toEqual(['cuda']);
    expect(statuses.map((s) => s.state)).toEqual(expect.arrayContaining(['loading', 'crashed', 'ready']));

    // A later 'auto' load in this client's lifetime avoids CUDA too: no second crash.
    const again = await client.load({ modelPath: tinyChameleonGguf(), gpu: 'auto' });
    expect(again.state).toBe('ready');
    expect(again.crashedBackends?.map((c) => c.kind)).toEqual(['cuda']);
    expect(hosts.starts()).toBe(2);
  });

  it('explicit CUDA: the crash says what to do, and the automatic reload answers engine.gpuCrashed', async () => {
    const err = await failure(explicit.load({ modelPath: tinyChameleonGguf(), gpu: 'cuda' }));
    expect(err.code).toBe('engine.crashed');
    expect(err.message).toMatch(/CUDA backend crashed .*Choose Auto or the CPU in the settings, or update the GPU driver/);

    const refused = await failure(explicit.generate({ sessionId: 'explicit', turns: hi, sampling: { maxTokens: 3 } }));
    expect(refused.code).toBe('engine.gpuCrashed');
    expect(refused.message).toMatch(/^The CUDA backend crashed on this machine \(SIGABRT: .*GGML_ASSERT.*\)\. Choose Auto or the CPU/);
    expect(explicit.getStatus()).toMatchObject({ state: 'error', error: { code: 'engine.gpuCrashed' }, settings: { gpu: 'cuda' } });
    expect(explicitHosts.starts()).toBe(1); // refused without starting (and crashing) another host

    // The user's next choice is honoured.
    const cpu = await explicit.load({ modelPath: tinyChameleonGguf(), gpu: 'cpu' });
    expect(cpu.backend).toMatchObject({ kind: 'cpu' });
    expect(cpu.backend?.cpuFallbackReason).toBeUndefined();
    expect(cpu.crashedBackends?.map((c) => c.kind)).toEqual(['cuda']);
    const r = await explicit.generate({ sessionId: 'explicit', turns: hi, sampling: { maxTokens: 3, seed: 1 } });
    expect(r.usage.completionTokens).toBe(3);
  });
});
