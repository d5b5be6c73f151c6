// Which crashes blame a GPU backend, and what the crash report quotes from ggml's stderr.
import { describe, expect, it } from 'vitest';
import { GpuCrashGuard } from '../../../main/engine/gpuCrashGuard.ts';
import { crashSummary } from '../../../main/engine/crashReport.ts';
import { ModelLoadSettingsSchema } from '../../../main/contract/engine.ts';

const abort = { code: null, signal: 'SIGABRT' };
// What ggml-cuda prints when the driver cannot run the prebuilt kernels (then it aborts).
const cudaStderr = [
  'ggml_cuda_compute_forward: RMS_NORM failed',
  'CUDA error: the provided PTX was compiled with an unsupported toolchain.',
  '  current device: 0, in function ggml_cuda_compute_forward at ggml/src/ggml-cuda/ggml-cuda.cu:2480',
  '  err',
  'ggml/src/ggml-cuda/ggml-cuda.cu:88: CUDA error',
  '',
];
const settings = (gpu: string) => ModelLoadSettingsSchema.parse({ modelPath: '/m.gguf', gpu });

describe('crashSummary', () => {
  it('quotes the signal and the line that says why, not the abort trailer', () => {
    expect(crashSummary(abort, cudaStderr)).toBe('SIGABRT: CUDA error: the provided PTX was compiled with an unsupported toolchain.');
    expect(crashSummary({ code: 3, signal: null }, ['first', 'last'])).toBe('exit code 3: last');
    expect(crashSummary(abort, [])).toBe('SIGABRT');
  });
});

describe('GpuCrashGuard', () => {
  it('blames a GPU backend that dies before its first evaluation, and refuses only an explicit choice of it', () => {
    const guard = new GpuCrashGuard();
    guard.hostStarted();
    guard.backendChosen('cuda');
    expect(guard.hostDied(abort, cudaStderr, settings('auto'))).toEqual({
      backend: { kind: 'cuda', crash: 'SIGABRT: CUDA error: the provided PTX was compiled with an unsupported toolchain.' },
      explicit: false,
    });
    expect(guard.list().map((c) => c.kind)).toEqual(['cuda']);
    expect(guard.refusal(settings('auto'))).toBeNull();
    expect(guard.refusal(settings('vulkan'))).toBeNull();
    expect(guard.refusal(settings('cuda'))?.code).toBe('engine.gpuCrashed');
    expect(guard.decorate({ state: 'empty' }).crashedBackends).toEqual(guard.list());
  });

  it('treats a crash after an evaluation on the GPU, on the CPU, or on an unannounced backend as ordinary', () => {
    const guard = new GpuCrashGuard();
    guard.hostStarted();
    guard.backendChosen('vulkan');
    guard.evaluated();
    expect(guard.hostDied(abort, cudaStderr, settings('vulkan'))).toBeNull();
    guard.hostStarted();
    guard.backendChosen('cpu');
    expect(guard.hostDied(abort, cudaStderr, settings('auto'))).toBeNull();
    guard.hostStarted();
    expect(guard.hostDied(abort, cudaStderr, settings('auto'))).toBeNull();
    expect(guard.list()).toEqual([]);
    expect(guard.decorate({ state: 'empty' })).toEqual({ state: 'empty' });
  });

  it('starts from the backends the app persisted', () => {
    const guard = new GpuCrashGuard([{ kind: 'metal', crash: 'SIGABRT' }]);
    expect(guard.refusal(settings('metal'))?.details).toEqual({ backend: 'metal', crash: 'SIGABRT' });
  });
});
