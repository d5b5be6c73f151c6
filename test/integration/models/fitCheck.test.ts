// The fit check's numbers are node-llama-cpp's GgufInsights estimates, with stated RAM/VRAM: every
// verdict at its boundary, and the same report from a remote header (read by HTTP range from the
// loopback Hub) as from the local file.
import { getLlama, GgufInsights, readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitReport, ggufInsights } from '../../../main/engine/ggufFit.ts';
import { tinyChameleonGguf } from '../../fixtures/gguf/fixtureModels.ts';
import { startHubServer, type HubServer } from '../../fixtures/hub/hubServer.ts';
import { ggufBytes } from '../../fixtures/hub/hubRepos.ts';

const GB = 1e9;
let hub: HubServer;
let reference: GgufInsights;

beforeAll(async () => {
  hub = await startHubServer();
  hub.setRepo('test/chameleon-tiny-GGUF', { files: [{ path: 'tiny.gguf', bytes: ggufBytes() }] });
  reference = await GgufInsights.from(await readGgufFileInfo(tinyChameleonGguf()), await getLlama({ gpu: false, build: 'never' }));
});
afterAll(() => hub.close());

function expected(gpuLayers: number, contextSize: number) {
  const m = reference.estimateModelResourceRequirements({ gpuLayers, useMmap: false });
  const c = reference.estimateContextResourceRequirements({ contextSize, modelGpuLayers: gpuLayers });
  return { ram: m.cpuRam + c.cpuRam, vram: m.gpuVram + c.gpuVram };
}

describe('fit check', () => {
  it('fits on the GPU with room to spare, with GgufInsights numbers and 3 images in 4096 tokens', async () => {
    const insights = await ggufInsights(tinyChameleonGguf());
    const total = reference.totalLayers;
    const report = fitReport(insights, 4096, { ramBytes: 16 * GB, vramBytes: 8 * GB });
    const e = expected(total, 4096);
    expect(report).toMatchObject({ verdict: 'gpu', gpuLayers: total, totalLayers: total, ramBytes: e.ram, vramBytes: e.vram, imagesInContext: 3 });
    console.log(`fit (16 GB RAM, 8 GB VRAM, ctx 4096): ${report.verdict}, ${report.gpuLayers}/${report.totalLayers} layers, RAM ${report.ramBytes} B, VRAM ${report.vramBytes} B`);
  });

  it('runs partly on the CPU when VRAM holds all but one layer', async () => {
    const insights = await ggufInsights(tinyChameleonGguf());
    const total = reference.totalLayers;
    const vram = expected(total - 1, 4096).vram;
    expect(vram).toBeLessThan(expected(total, 4096).vram);
    const report = fitReport(insights, 4096, { ramBytes: 16 * GB, vramBytes: vram });
    expect(report).toMatchObject({ verdict: 'partial', gpuLayers: total - 1, vramBytes: vram, ramBytes: expected(total - 1, 4096).ram });
  });

  it('runs on the CPU without VRAM, and is too big when RAM is short', async () => {
    const insights = await ggufInsights(tinyChameleonGguf());
    const cpu = fitReport(insights, 2048, { ramBytes: 16 * GB, vramBytes: 0 });
    expect(cpu).toMatchObject({ verdict: 'cpu', gpuLayers: 0, vramBytes: 0, ramBytes: expected(0, 2048).ram, imagesInContext: 1 });
    const tooBig = fitReport(insights, 2048, { ramBytes: expected(0, 2048).ram - 1, vramBytes: 0 });
    expect(tooBig.verdict).toBe('tooBig');
  });

  it('reads a remote header by range and gets the same report as the local file', async () => {
    const remote = await ggufInsights(`${hub.endpoint}/test/chameleon-tiny-GGUF/resolve/main/tiny.gguf`);
    const local = await ggufInsights(tinyChameleonGguf());
    const machine = { ramBytes: 8 * GB, vramBytes: 1 * GB };
    expect(fitReport(remote, 4096, machine)).toEqual(fitReport(local, 4096, machine));
    const fetched = hub.ranges.filter((r) => r.path === 'tiny.gguf').reduce((n, r) => n + r.sent, 0);
    expect(fetched).toBeLessThan(ggufBytes().length / 2);
  });
});
