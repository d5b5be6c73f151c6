// A raw HTTP client for the server tests: node:http, so a test can send any Host/Origin header,
// malformed bodies and chunked uploads that fetch and the openai client would never produce.
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface RawRequest {
  port: number;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** A string is sent with Content-Length; an array is sent chunked, piece by piece. */
  body?: string | string[];
}

export function rawRequest(req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port: req.port, method: req.method ?? 'GET', path: req.path, headers: req.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = undefined;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON: the test looks at text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close before it has read everything we send.
    r.on('error', reject);
    if (Array.isArray(req.body)) {
      for (const piece of req.body) r.write(piece);
      r.end();
    } else {
      r.end(req.body);
    }
  });
}
