// Runs the built llama-server / rpc-server (llamaCppTools.ts) on 127.0.0.1 for tests and the
// benchmark: a free port, the log kept for assertions, ready once /health answers 200.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import { llamaCppToolPath } from './llamaCppTools.ts';
import { flashAttentionFor } from '../../main/engine/host/llamaRuntime.ts';

/** CI builds the tools and sets this: there a missing tool fails the tests instead of skipping them. */
export const llamaToolsRequired = process.env.CHAMELEON_LLAMA_TOOLS_REQUIRED === '1';

/** The tools' paths, or undefined (then the caller skips, unless CI requires them). */
export function llamaTools(): { server: string; rpc: string; bench: string } | undefined {
  const server = llamaCppToolPath('llama-server');
  const rpc = llamaCppToolPath('rpc-server');
  const bench = llamaCppToolPath('llama-bench');
  if (server && rpc && bench) return { server, rpc, bench };
  if (llamaToolsRequired) throw new Error('CHAMELEON_LLAMA_TOOLS_REQUIRED is set but llama.cpp tools are not built: run `npm run tools:llama-cpp`');
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ToolProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** SIGKILL: the way a machine dies mid-answer. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function startTool(path: string, args: string[], port: number): ToolProcess {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, port, baseUrl: `http://127.0.0.1:${port}`, log: () => log, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

async function waitFor(check: () => Promise<boolean>, proc: ToolProcess, what: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${what} exited early:\n${proc.log().slice(-2000)}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  await proc.kill();
  throw new Error(`${what} did not become ready:\n${proc.log().slice(-2000)}`);
}

export interface LlamaServerOptions {
  model: string;
  contextSize?: number;
  apiKey?: string;
  /** rpc-server addresses (host:port): the model's layers go there. */
  rpc?: string[];
  threads?: number;
  /** llama-server's -lv: 4 adds where the model's layers and buffers went (load_tensors). */
  verbosity?: number;
  /** --slot-save-path: a folder where POST /slots/0?action=save writes the slot's token ids (savedSlotTokens). */
  slotSavePath?: string;
}

/**
 * llama-server with batch and micro-batch = the context size: the Chameleon graph aborts on a
 * micro-batch without logits (chameleon.md §9, defect 1), so a whole prompt must be one micro-batch.
 */
export async function startLlamaServer(options: LlamaServerOptions): Promise<ToolProcess> {
  const tools = llamaTools();
  if (!tools) throw new Error('llama.cpp tools are not built');
  const port = await freePort();
  const ctx = String(options.contextSize ?? 4096);
  // Flash attention as the local engine sets it on the CPU (llamaRuntime.ts): the two kernels round
  // differently, and a random-weight model's near-tied logits then pick other greedy tokens.
  const flashAttention = flashAttentionFor('cpu') === false ? 'off' : 'auto';
  const args = ['-m', options.model, '--host', '127.0.0.1', '--port', String(port), '-c', ctx, '-b', ctx, '-ub', ctx, '-np', '1', '-t', String(options.threads ?? 1), '-fa', flashAttention, '--no-webui', '--no-warmup'];
  if (options.slotSavePath) args.push('--slot-save-path', join(options.slotSavePath, '/'));
  if (options.verbosity !== undefined) args.push('-lv', String(options.verbosity));
  if (options.apiKey) args.push('--api-key', options.apiKey);
  if (options.rpc) args.push('--rpc', options.rpc.join(','), '-ngl', '99');
  const proc = startTool(tools.server, args, port);
  await waitFor(async () => (await fetch(`${proc.baseUrl}/health`)).status === 200, proc, 'llama-server');
  return proc;
}

/** llama.h's LLAMA_STATE_SEQ_MAGIC ('ggsq') and LLAMA_STATE_SEQ_VERSION of the bundled llama.cpp. */
const SEQ_MAGIC = 0x6767_7371;
const SEQ_VERSION = 3;

/**
 * The token ids slot 0 holds (prompt and every generated token it evaluated), read back through
 * POST /slots/0?action=save: llama_state_seq_save_file's header, then the slot's packed tokens
 * (server_tokens::serialize: LLAMA_TOKEN_NULL, its state version, the token count, the tokens).
 * The server must run with slotSavePath = dir.
 */
export async function savedSlotTokens(server: ToolProcess, dir: string): Promise<number[]> {
  const filename = 'slot0.bin';
  const res = await fetch(`${server.baseUrl}/slots/0?action=save`, { method: 'POST', body: JSON.stringify({ filename }) });
  if (!res.ok) throw new Error(`slot save answered ${res.status}: ${await res.text()}`);
  const buf = readFileSync(join(dir, filename));
  if (buf.readUInt32LE(0) !== SEQ_MAGIC || buf.readUInt32LE(4) !== SEQ_VERSION) throw new Error('the slot file is not a llama.cpp sequence state of the expected version');
  const packed = 12;
  if (buf.readInt32LE(packed) !== -1) throw new Error('the slot file holds a plain token list, not server_tokens state');
  const count = buf.readUInt32LE(packed + 8);
  return Array.from({ length: count }, (_, i) => buf.readInt32LE(packed + 12 + 4 * i));
}

/** One rpc-server on 127.0.0.1 (the multi-machine path, on loopback). */
export async function startRpcServer(): Promise<ToolProcess> {
  const tools = llamaTools();
  if (!tools) throw new Error('llama.cpp tools are not built');
  const port = await freePort();
  const proc = startTool(tools.rpc, ['-H', '127.0.0.1', '-p', String(port), '-t', '1'], port);
  // Its banner is printf'd (buffered in a pipe): ready is when the port takes a connection.
  const accepts = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await waitFor(accepts, proc, 'rpc-server', 30_000);
  return proc;
}
