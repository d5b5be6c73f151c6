// One adapter per remote engine kind.
import type { RemoteEngineKind } from '../../contract/remoteEngines.ts';
import { LlamaServerEngine } from './llamaServerEngine.ts';
import type { RemoteAdapter } from './remoteAdapter.ts';
import type { RemoteEndpoint, RemoteTimeouts } from './remoteHttp.ts';
import { VllmEngine } from './vllmEngine.ts';

export function createAdapter(kind: RemoteEngineKind, endpoint: RemoteEndpoint, timeouts?: RemoteTimeouts): RemoteAdapter {
  return kind === 'llamaCppServer' ? new LlamaServerEngine(endpoint, timeouts) : new VllmEngine(endpoint, timeouts);
}
