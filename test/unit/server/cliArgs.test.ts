import { describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { parseServeArgs } from '../../../main/server/cliArgs.ts';

const parse = (...argv: string[]) => parseServeArgs(argv, 11435, '/home/me/work');

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).message;
  }
  throw new Error('expected an error');
}

describe('parseServeArgs', () => {
  it('defaults to the default port and nothing else', () => {
    expect(parse()).toEqual({ port: 11435, help: false, modelDirs: [], recoverHistory: false });
  });
  it('reads --model, --port and --data-dir, resolving paths against the caller directory', () => {
    expect(parse('--model', 'models/c.gguf', '--port', '0', '--data-dir', '/tmp/d', '--models-dir', 'models', '--models-dir', '/srv/w')).toEqual({
      modelPath: '/home/me/work/models/c.gguf',
      port: 0,
      dataDir: '/tmp/d',
      modelDirs: ['/home/me/work/models', '/srv/w'],
      recoverHistory: false,
      help: false,
    });
    expect(parse('--port=8080', '--model=/abs/m.gguf')).toMatchObject({ port: 8080, modelPath: '/abs/m.gguf' });
    expect(parse('-h').help).toBe(true);
  });
  it('rejects bad ports, unknown flags, stray arguments and empty values', () => {
    for (const port of ['-1', '65536', 'abc', '1.5', '']) expect(messageOf(() => parse('--port', port)), port).toMatch(/--port/);
    expect(messageOf(() => parse('--modle', 'x'))).toMatch(/modle/);
    expect(messageOf(() => parse('extra'))).toMatch(/extra/);
    expect(messageOf(() => parse('--model', ' '))).toMatch(/--model needs a value/);
    expect(messageOf(() => parse('--model'))).toMatch(/model/);
  });
});
