// `npm run models -- list | pull <id> | verify [id] | remove <id> [--data-dir <dir>]`: the Models
// screen for server mode and scripts. The same ModelLibrary as the app (and so the same queue
// file: a pull interrupted here resumes in the app, and the other way round).
import { parseArgs } from 'node:util';
import { toErrorData } from '../contract/errors.ts';
import type { DownloadStatus } from '../contract/models.ts';
import { resolveDataDir } from '../platform/dataDir.ts';
import { loadCatalog } from './catalog.ts';
import { fileTokenStore } from './hubToken.ts';
import { modelsConfigFromEnv } from './modelsConfig.ts';
import { ModelLibrary } from './ModelLibrary.ts';
import { sha256File } from './sha256File.ts';

const USAGE = `Usage: npm run models -- <command> [--data-dir <dir>]
  list            the catalog and what is installed
  pull <id>       download, verify (sha256) and install a catalog entry; resumes a partial download
  verify [id]     re-hash installed files against their recorded sha256
  remove <id>     delete an installed model (not one in use)
Environment: HF_ENDPOINT (a Hub mirror), CHAMELEON_MODEL_CATALOG (another catalog file),
CHAMELEON_DATA_DIR. A token for gated repos is read from <data dir>/hub-token.`;

const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;

function progressLine(s: DownloadStatus): string {
  const pct = s.total > 0 ? ((100 * s.done) / s.total).toFixed(1) : '0.0';
  const speed = s.bytesPerSecond > 0 ? ` ${(s.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '';
  const left = s.secondsLeft !== null && s.state === 'downloading' ? `, ${Math.ceil(s.secondsLeft)} s left` : '';
  return `${s.id}: ${s.state} ${pct}% (${gb(s.done)} of ${gb(s.total)})${speed}${left}`;
}

async function main(): Promise<number> {
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  const [command, id] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const dataDir = resolveDataDir({ override: values['data-dir'], cwd });
  const config = modelsConfigFromEnv();
  const catalog = await loadCatalog(config.catalogPath);
  let last = '';
  const service = await ModelLibrary.open({
    dataDir,
    catalog,
    endpoint: config.endpoint,
    tokens: fileTokenStore(dataDir),
    inUse: () => [],
    resumeAtStart: false,
    onChanged: (snapshot) => {
      const s = snapshot.downloads.find((d) => d.id === id);
      const line = s ? progressLine(s) : '';
      if (line && line !== last) console.log((last = line));
    },
  });
  try {
    switch (command) {
      case 'list': {
        const installed = new Map(service.snapshot().installed.map((m) => [m.id, m]));
        for (const e of catalog.entries) {
          const m = installed.get(e.id);
          console.log(`${m ? '✓' : ' '} ${e.id.padEnd(34)} ${gb(e.bytes).padStart(9)}  ${e.enables.join('+').padEnd(9)} ${e.repo}/${e.file}${e.gated ? ' (gated)' : ''}`);
        }
        for (const m of installed.values()) if (!catalog.entries.some((e) => e.id === m.id)) console.log(`✓ ${m.id.padEnd(34)} ${gb(m.bytes).padStart(9)}  ${m.path}`);
        return 0;
      }
      case 'pull': {
        if (!id) throw new Error('pull needs a catalog id (see `npm run models -- list`)');
        const stop = (): void => void service.pause(id).then(() => service.dispose()).then(() => process.exit(130));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await service.pull(id);
        await service.idle();
        const failed = service.snapshot().downloads.find((d) => d.id === id && d.state === 'failed');
        if (failed?.error) {
          console.error(`${id} failed [${failed.error.code}]: ${failed.error.message}`);
          return 1;
        }
        const model = service.installed(id);
        console.log(`installed ${model.path} (${gb(model.bytes)}, sha256 ${model.sha256})`);
        return 0;
      }
      case 'verify': {
        let bad = 0;
        for (const m of service.snapshot().installed.filter((x) => !id || x.id === id)) {
          const actual = await sha256File(m.path).catch(() => 'missing');
          const ok = actual === m.sha256;
          if (!ok) bad += 1;
          console.log(`${ok ? 'ok      ' : 'MISMATCH'} ${m.id} ${m.path}`);
        }
        return bad === 0 ? 0 : 1;
      }
      case 'remove': {
        if (!id) throw new Error('remove needs an installed id');
        const { freedBytes } = await service.remove(id);
        console.log(`removed ${id}, freed ${gb(freedBytes)}`);
        return 0;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } catch (err) {
    const e = toErrorData(err);
    console.error(`[${e.code}] ${e.message}`);
    return 1;
  } finally {
    await service.dispose();
  }
}

process.exitCode = await main();
