// The API arm of `npm run bench:engine`: the real local server (`npm run serve`, main/server/cli.ts)
// in its own process, as a user starts it, driven with streamed POST /v1/chat/completions read
// with fetch. Path: fetch → HTTP/SSE → server process → IPC → engine host process → node-llama-cpp.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeSettings } from '../../main/settings/settingsFile.ts';

const CLI = fileURLToPath(new URL('../../main/server/cli.ts', import.meta.url));
const START_TIMEOUT_MS = 180_000;

export interface ServeArmOptions {
  modelPath: string;
  contextSize: number;
  threads: number;
}

/** OpenAI request fields, named as on the wire. */
export interface ApiSampling {
  temperature: number;
  top_p: number;
  top_k: number;
  repetition_penalty: number;
  max_tokens: number;
  seed: number;
}

export interface StreamedCompletion {
  /** From sending the request to the first chunk with non-empty `delta.content`. */
  firstContentMs: number;
  /** From sending the request to the chunk carrying `finish_reason`. */
  finishMs: number;
  finishReason: string;
  /** From the `stream_options.include_usage` chunk. */
  promptTokens: number;
  completionTokens: number;
}

interface ChunkBody {
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
  error?: { code?: string; message?: string };
}

export class ServeArm {
  readonly url: string;
  /** The server's `model ready: …` line (backend, layers, threads). */
  readonly readyLine: string;
  readonly #child: ChildProcess;
  readonly #key: string;
  readonly #dataDir: string;
  readonly #killOnExit: () => void;

  private constructor(url: string, readyLine: string, child: ChildProcess, key: string, dataDir: string, killOnExit: () => void) {
    this.url = url;
    this.readyLine = readyLine;
    this.#child = child;
    this.#key = key;
    this.#dataDir = dataDir;
    this.#killOnExit = killOnExit;
  }

  /** Starts `node main/server/cli.ts` and resolves once it listens and the model is loaded. */
  static async start(options: ServeArmOptions): Promise<ServeArm> {
    const dataDir = await mkdtemp(join(os.tmpdir(), 'chameleon-bench-serve-'));
    // The CLI has no thread or context flags: like the app, it reads them from the data dir's settings.
    await writeSettings(dataDir, { contextSize: options.contextSize, threads: options.threads, gpu: 'auto', gpuLayers: 'auto' });
    const key = randomBytes(24).toString('base64url');
    const child = spawn(process.execPath, [CLI, '--model', options.modelPath, '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, CHAMELEON_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // If the benchmark dies, the server (and with it its engine host) must not outlive it.
    const killOnExit = (): void => void child.kill('SIGTERM');
    process.once('exit', killOnExit);
    const stderr: string[] = [];
    let onModelFailed = (_line: string): void => undefined;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 40) stderr.shift();
      if (line.startsWith('model failed')) onModelFailed(line);
    });
    try {
      const { url, readyLine } = await new Promise<{ url: string; readyLine: string }>((resolve, reject) => {
        let url: string | null = null;
        let readyLine: string | null = null;
        const fail = (why: string): void => {
          clearTimeout(timer);
          reject(new Error(`${why}\n${stderr.join('\n')}`));
        };
        const timer = setTimeout(() => fail('the server did not get ready in time'), START_TIMEOUT_MS);
        onModelFailed = fail;
        child.once('exit', (code, signal) => fail(`the server exited (${code ?? signal}) before it was ready`));
        createInterface({ input: child.stdout! }).on('line', (line) => {
          url ??= /^listening on (http:\/\/\S+)$/.exec(line)?.[1] ?? null;
          if (line.startsWith('model ready:')) readyLine = line;
          if (url && readyLine) {
            clearTimeout(timer);
            resolve({ url, readyLine });
          }
        });
      });
      return new ServeArm(url, readyLine, child, key, dataDir, killOnExit);
    } catch (err) {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** One streamed chat completion of a single user message. */
  async complete(userText: string, sampling: ApiSampling): Promise<StreamedCompletion> {
    const body = { messages: [{ role: 'user', content: userText }], stream: true, stream_options: { include_usage: true }, ...sampling };
    const t0 = performance.now();
    const res = await fetch(`${this.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    let firstContentAt = 0;
    let finishAt = 0;
    let finishReason = '';
    let usage: ChunkBody['usage'];
    let done = false;
    let pending = '';
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      // Events that arrive together share the arrival time of their bytes.
      const now = performance.now();
      pending += decoder.decode(read.value, { stream: true });
      for (let cut = pending.indexOf('\n\n'); cut >= 0; cut = pending.indexOf('\n\n')) {
        const event = pending.slice(0, cut);
        pending = pending.slice(cut + 2);
        if (!event.startsWith('data: ')) continue;
        const data = event.slice('data: '.length);
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as ChunkBody;
        if (chunk.error) throw new Error(`stream error [${chunk.error.code}]: ${chunk.error.message}`);
        const choice = chunk.choices?.[0];
        if (choice?.delta?.content && firstContentAt === 0) firstContentAt = now;
        if (choice?.finish_reason) {
          finishAt = now;
          finishReason = choice.finish_reason;
        }
        if (chunk.usage) usage = chunk.usage;
      }
    }
    if (!done || !usage || firstContentAt === 0 || finishAt === 0) throw new Error('incomplete SSE stream (no content, finish, usage or [DONE])');
    return {
      firstContentMs: firstContentAt - t0,
      finishMs: finishAt - t0,
      finishReason,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
    };
  }

  /** SIGTERM, as Ctrl-C would: the server ends its engine host before it exits. */
  async dispose(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      await exited;
    }
    process.off('exit', this.#killOnExit);
    await rm(this.#dataDir, { recursive: true, force: true });
  }
}
