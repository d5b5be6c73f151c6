// Text inputs from clients and from the model: data: URLs, OpenAI chat requests, and markdown for
// the app's renderer and the HTML/PDF export. Each ends in a value or its coded refusal; the
// markdown renderers never throw at all.
import fc from 'fast-check';
import { JSDOM } from 'jsdom';
import createDOMPurify from 'dompurify';
import { describe, it } from 'vitest';
import { renderMarkdown } from '../../main/export/safeMarkdown.ts';
import { messagesToTurns, parseChatCompletionRequest, toSampling } from '../../main/server/openai/chatRequest.ts';
import { decodeDataUrl } from '../../main/server/openai/imageInput.ts';
import { DEFAULT_SETTINGS } from '../../main/settings/settingsSchema.ts';
import { MarkdownRenderer, type Purifier } from '../../renderer/src/lib/markdown.ts';
import { fuzz, fuzzRuns, jsonMutated } from './fuzzKit.ts';

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

const dataUrl = fc.oneof(
  fc.tuple(fc.constantFrom('data:', 'DATA:', 'data:image/png', 'data:image/png;charset=x', 'data:;base64', 'data:image/png;base64', 'http:', 'https://x/', 'file:', ''), fc.constantFrom(',', ';', ''), fc.string({ unit: 'binary', maxLength: 40 }))
    .map(([head, sep, body]) => head + sep + body),
  fc.uint8Array({ maxLength: 40 }).map((b) => `data:image/png,${[...b].map((x) => (x % 3 === 0 ? String.fromCharCode(x) : `%${x.toString(16).padStart(x % 5 ? 2 : 1, '0')}`)).join('')}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

const REQUEST = {
  model: 'm',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } }] },
    { role: 'assistant', content: 'a pixel' },
    { role: 'user', content: 'thanks' },
  ],
  temperature: 0.7,
  top_p: 0.9,
  max_tokens: 16,
  stop: ['\n'],
  seed: 3,
  stream: true,
};

/** Markdown made of the characters that open and close its constructs, often repeated. */
const markdown = fc
  .array(fc.oneof(fc.constantFrom('>', '> ', '-', '- ', '* ', '1. ', '*', '**', '_', '~~', '`', '```', '[', ']', '(', ')', '![', '#', '\n', '\n\n', '  ', '|', '<', '&', 'a', 'é', '\u0000'), fc.string({ maxLength: 4 })), { maxLength: 200 })
  .chain((pieces) => fc.nat({ max: 400 }).map((repeat) => pieces.join('').repeat(1 + (repeat % 20))));

describe('fuzz: client and model text', () => {
  it('data: URLs decode or are refused with an image code', async () => {
    await fuzz('data-url', dataUrl, 3000, ['image.remoteUrl', 'image.unsupported'], (url) => void decodeDataUrl(url, 'p'));
  });

  it('OpenAI chat requests: any JSON, and edits of a valid one, parse or answer api.badRequest', async () => {
    const imageInput = async (url: string, param: string) => {
      decodeDataUrl(url, param);
      return { type: 'image' as const, codes: new Array(1024).fill(0) };
    };
    const body = fc.oneof(jsonMutated(REQUEST), fc.jsonValue({ maxDepth: 4 }));
    await fuzz('openai-request', body, 3000, ['api.badRequest', 'image.remoteUrl', 'image.unsupported'], async (b) => {
      const request = parseChatCompletionRequest(b);
      await messagesToTurns(request.messages, imageInput);
      toSampling(request, DEFAULT_SETTINGS.sampling);
    });
  });

  it('markdown renders in the export without throwing', async () => {
    await fuzz('markdown-export', markdown, 300, [], (text) => void renderMarkdown(text));
  });

  it('markdown renders in the app (marked + DOMPurify) without throwing', async () => {
    // DOMPurify over jsdom keeps what it parsed, even past window.close() (about 17 KB a call; marked
    // alone keeps nothing, measured): the retained-heap bound here allows for jsdom, not for us.
    const window = new JSDOM('').window;
    const app = new MarkdownRenderer(createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]) as unknown as Purifier);
    await fuzz(
      'markdown-app',
      markdown,
      150,
      [],
      (text) => {
        app.render(text);
        app.renderBlocks(text);
      },
      { retainedBound: 64 * 2 ** 20 + fuzzRuns(150) * 64 * 1024 },
    );
  });
});
