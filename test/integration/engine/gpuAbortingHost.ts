// The real engine host on a machine whose CUDA backend is broken (a driver too old for the
// prebuilt kernels). A load that would pick CUDA (gpu 'cuda', or 'auto' while CUDA is not avoided)
// says 'backend: cuda', as the real host does once getLlama has chosen, and then the process dies
// of a genuine native abort inside ggml before anything was evaluated (defect 1, chameleon.md §9:
// an evaluation without logits → GGML_ASSERT, SIGABRT). Only the choice of CUDA is staged (the test
// machine has no GPU); the abort and everything else are real: other requests go to the real host.
import { getLlama } from 'node-llama-cpp';
import type { HostMessage, HostRequest } from '../../../main/engine/protocol.ts';

const send = (m: HostMessage): void => void process.send?.(m);
let toHost: ((e: { data: unknown }) => void) | null = null;
// The real host listens on process.parentPort when there is one (Electron's utilityProcess): give
// it ours, so that every request passes through here first.
const parentPort = {
  postMessage: (m: unknown) => void process.send?.(m),
  on: (_event: 'message', listener: (e: { data: unknown }) => void) => {
    toHost = listener;
  },
};
Object.assign(process, { parentPort });
await import('../../../main/engine/host/engineHost.ts');

const picksCuda = (req: HostRequest): req is Extract<HostRequest, { kind: 'load' }> =>
  req.kind === 'load' && (req.settings.gpu === 'cuda' || (req.settings.gpu === 'auto' && !req.avoid.some((c) => c.kind === 'cuda')));

process.on('message', (m) => {
  const req = m as HostRequest;
  if (!picksCuda(req)) {
    toHost?.({ data: req });
    return;
  }
  void (async () => {
    send({ kind: 'status', status: { state: 'loading', loadProgress: 0, settings: req.settings } });
    send({ kind: 'backend', id: req.id, backend: 'cuda' });
    const llama = await getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath: req.settings.modelPath });
    const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: 1 });
    await context.getSequence().evaluateWithoutGeneratingNewTokens(model.tokenize('hello world'));
  })();
});
