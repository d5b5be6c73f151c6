// The soak at a size that fits `npm test` (npm run soak runs a long one and prints the figures).
import { describe, expect, it } from 'vitest';
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { useTempDirs } from '../fixtures/testKit.ts';
import { runSoak } from './soak.ts';

const freshDir = useTempDirs('chm-soak');

describe('soak: mixed traffic, client aborts and host kills', () => {
  it('leaves an intact history, every answer complete or marked, no handle or memory growth', async () => {
    const report = await runSoak({ dataDir: freshDir(), modelPath: tinyChameleonGguf(), requests: Number(process.env.SOAK_REQUESTS ?? 36), killEvery: 12, seed: 7 });
    console.log(`soak: ${JSON.stringify(report)}`);
    expect(report.integrity).toBe('ok');
    expect(report.unexplained).toEqual([]);
    expect(report.answers.streaming ?? 0).toBe(0);
    expect(report.hostKills).toBeGreaterThanOrEqual(2);
    // Every request ended in an outcome we know: done, aborted by the client, or a coded error
    // from a kill (engine.crashed) — never an internal error or a hang.
    for (const outcome of Object.keys(report.outcomes)) expect(['ok', 'aborted', 'engine.crashed', 'engine.aborted']).toContain(outcome);
    expect(report.outcomes.ok ?? 0).toBeGreaterThan(report.requests / 2);
    expect(report.fdGrowth).toBeLessThanOrEqual(16);
    expect(report.rssGrowthMiB).toBeLessThan(200);
  });
});
