// Export benchmark (a script, not a test): one 10 000-message chat (5 000 exchanges of markdown,
// code and Unicode answers of a few hundred characters, one image every 500 messages) in a
// file-backed store, then every format exported to disk with its time, size, throughput and the
// process's peak RSS growth (exports stream page by page, so it stays flat as the chat grows).
//   node test/bench/exportBench.ts [--messages=10000] [--pdf] [--keep]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { ExportFormat } from '../../main/contract/transcript.ts';
import { chromiumPdfRenderer } from '../../main/export/pdfTranscript.ts';
import { exportReaderOf, imageSourceOf } from '../../main/export/storeAdapters.ts';
import { TranscriptExporter } from '../../main/export/TranscriptExporter.ts';
import { importFile } from '../../main/export/importTranscript.ts';
import { imageSinkOf } from '../../main/export/storeAdapters.ts';
import { ChatStore } from '../../main/store/ChatStore.ts';

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}`))?.split('=')[1] ??
  (process.argv.includes(`--${name}`) ? '' : undefined);
const MESSAGES = Number(arg('messages') ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'chameleon-export-bench-'));

const ANSWER = (i: number): string =>
  `## Step ${i}\n\nThe **lizard** changes colour; see \`code_${i}\` below. 蜥蜴は色を変える。 السحلية تغير لونها 🦎\n\n\`\`\`ts\nconst x${i} = ${i} * 2; // doubled\n\`\`\`\n\n- one\n- two <b>not html</b>`;

async function seed(store: ChatStore): Promise<number> {
  const png = await sharp({
    create: { width: 256, height: 256, channels: 3, background: { r: 30, g: 140, b: 90 } },
  })
    .png()
    .toBuffer();
  const image = store.images.put(png, { mime: 'image/png', width: 256, height: 256 });
  const c = store.createConversation();
  let parent: number | null = null;
  for (let i = 0; i < MESSAGES / 2; i++) {
    const withImage = i % 250 === 0;
    const user = store.addUserMessage(c.id, parent, [
      { kind: 'text', text: `Question ${i}: how does it work?` },
      ...(withImage
        ? [{ kind: 'image' as const, imageHash: image.sha256, mime: 'image/png', width: 256, height: 256 }]
        : []),
    ]);
    const w = store.beginAssistantMessage(c.id, user.id, {
      sampling: { temperature: 0.7 },
      seed: i,
      model: { fileName: 'chameleon-7b.gguf', sizeBytes: 4e9 },
    });
    w.append(ANSWER(i));
    parent = w.finish('complete', {
      tokens: { prompt: 100, completion: 80 },
      timings: { promptMs: 10, firstTokenMs: 20, totalMs: 900, tokensPerSecond: 25 },
    })!.id;
  }
  return c.id;
}

async function main(): Promise<void> {
  const store = ChatStore.open(dir);
  try {
    let t = performance.now();
    const id = await seed(store);
    console.log(`seeded ${MESSAGES} messages in ${((performance.now() - t) / 1000).toFixed(1)} s (${dir})`);
    const exporter = new TranscriptExporter({
      reader: exportReaderOf(store),
      images: imageSourceOf(store),
      app: { name: 'bench', version: '0' },
      pdf: chromiumPdfRenderer(),
    });
    const formats: ExportFormat[] = [
      'json',
      'markdown',
      'markdownZip',
      'html',
      ...(arg('pdf') !== undefined ? (['pdf'] as const) : []),
    ];
    console.log('format        seconds      MB   messages/s   peak RSS growth MB');
    for (const format of formats) {
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      t = performance.now();
      const result = await exporter.export(
        { scope: { kind: 'conversation', id }, format, branches: 'all' },
        join(dir, `out.${format}`),
        {
          onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)),
        },
      );
      const s = (performance.now() - t) / 1000;
      clearInterval(sampler);
      console.log(
        `${format.padEnd(12)} ${s.toFixed(2).padStart(8)} ${(result.bytes / 1e6).toFixed(1).padStart(7)} ${Math.round(
          MESSAGES / s,
        )
          .toString()
          .padStart(12)} ${((peak - rss0) / 1e6).toFixed(0).padStart(20)}`,
      );
    }
    const target = ChatStore.open(join(dir, 'import'));
    t = performance.now();
    await importFile(join(dir, 'out.json'), target.transcripts(), imageSinkOf(target));
    console.log(`import json  ${((performance.now() - t) / 1000).toFixed(2).padStart(8)} s`);
    target.dispose();
  } finally {
    store.dispose();
    if (arg('keep') === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
