// `npm run soak [-- <requests> [<killEvery>]]`: the long soak, printing its figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestFixtures, tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';
import { runSoak } from './soak.ts';

buildTestFixtures();
const dataDir = mkdtempSync(join(tmpdir(), 'chm-soak-'));
try {
  const report = await runSoak({ dataDir, modelPath: tinyChameleonGguf(), requests: Number(process.argv[2] ?? 600), killEvery: Number(process.argv[3] ?? 25), seed: Date.now() % 1e9 });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.integrity === 'ok' && !report.answers.streaming ? 0 : 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
