// A host process that hits llama.cpp's Chameleon defect 1 (chameleon.md §9) on purpose: it loads
// the model, then evaluates tokens without requesting logits, which aborts the whole process
// inside ggml (SIGABRT, GGML_ASSERT on stderr). The real host never does this; the test uses it to
// check how the parent reports a genuine native abort.
import { getLlama } from 'node-llama-cpp';
import type { HostMessage, HostRequest } from '../../../main/engine/protocol.ts';

const send = (m: HostMessage): void => void process.send?.(m);

process.on('message', (m) => {
  const req = m as HostRequest;
  if (req.kind !== 'load') return;
  void (async () => {
    const llama = await getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath: req.settings.modelPath });
    const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: 1 });
    send({ kind: 'status', status: { state: 'ready', settings: req.settings } });
    await context.getSequence().evaluateWithoutGeneratingNewTokens(model.tokenize('hello world'));
  })();
});
process.on('disconnect', () => process.exit(0));
send({ kind: 'hello', pid: process.pid });
