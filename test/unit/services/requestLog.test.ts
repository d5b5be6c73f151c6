import { describe, expect, it } from 'vitest';
import { RequestLog } from '../../../main/services/requestLog.ts';

describe('RequestLog: the server panel’s last requests', () => {
  it('keeps the newest entries first, a bounded number, and never a query string', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) log.add({ method: 'POST', path: `/v1/chat/completions?key=secret${i}#x`, status: 200 + i, durationMs: i, at: i });
    expect(log.list()).toEqual([
      { method: 'POST', path: '/v1/chat/completions', status: 204, durationMs: 4, at: 4 },
      { method: 'POST', path: '/v1/chat/completions', status: 203, durationMs: 3, at: 3 },
      { method: 'POST', path: '/v1/chat/completions', status: 202, durationMs: 2, at: 2 },
    ]);
    expect(JSON.stringify(log.list())).not.toContain('secret');
  });
});
