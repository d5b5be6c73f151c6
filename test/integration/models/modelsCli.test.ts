// `npm run models -- list | pull | verify | remove` against the loopback Hub: progress lines on the
// terminal, the installed file listed, a damaged file caught by verify, remove frees the space, and
// a refusal is a coded line with exit status 1.
import { spawn } from 'node:child_process';
import { openSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../fixtures/hub/hubServer.ts';
import { STANDARD_ENTRIES, serveStandardRepos, tempDataDir, vqganBytes, writeCatalog } from '../../fixtures/hub/hubRepos.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
let hub: HubServer;
const data = tempDataDir();
let catalog: string;

beforeAll(async () => {
  hub = await startHubServer();
  serveStandardRepos(hub);
  catalog = writeCatalog(data.dir, STANDARD_ENTRIES);
});
afterAll(async () => {
  await hub.close();
  data.remove();
});

function models(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'main/models/modelsCli.ts'), ...args, '--data-dir', join(data.dir, 'd')], {
      cwd: ROOT,
      env: { ...process.env, HF_ENDPOINT: hub.endpoint, CHAMELEON_MODEL_CATALOG: catalog },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => done({ code, out }));
  });
}

describe('npm run models', () => {
  it('pulls with progress, lists, verifies, catches a damaged file and removes it', async () => {
    const pull = await models('pull', 'tiny-vqgan');
    expect(pull.code, pull.out).toBe(0);
    expect(pull.out).toMatch(/tiny-vqgan: (downloading|verifying) \d+\.\d%/);
    expect(pull.out).toMatch(/installed .*weights\.safetensors/);

    const list = await models('list');
    expect(list.out).toMatch(/✓ tiny-vqgan/);
    expect(list.out).toMatch(/^ {2}tiny-gguf/m);
    expect((await models('verify')).code).toBe(0);

    const path = join(data.dir, 'd', 'models', 'tiny-vqgan', 'weights.safetensors');
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([vqganBytes()[1000]! ^ 0xff]), 0, 1, 1000);
    closeSync(fd);
    const verify = await models('verify', 'tiny-vqgan');
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/MISMATCH tiny-vqgan/);

    const removed = await models('remove', 'tiny-vqgan');
    expect(removed.out).toContain(`freed 0.01 GB`);
    const again = await models('remove', 'tiny-vqgan');
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/\[models\.notInstalled\]/);
  });

  it('says why a gated pull fails without a token', async () => {
    const r = await models('pull', 'gated-gguf');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[models\.unauthorized\].*token/);
  });
});
