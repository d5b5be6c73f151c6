// The environment every engine host process starts with, whichever launcher starts it.

/**
 * One libuv pool thread: node-llama-cpp runs each decode as an async worker on that pool, and with
 * the default four, successive tokens ran on different pool threads, each dragging ggml's compute
 * threads' state (caches, wake-ups) along; at 2 threads that decoded 38–40 tok/s, with one pool
 * thread 52–54 (issue 14; the binary links no OpenMP, so it is ggml's own thread start-up and
 * barriers). The host serves one request at a time, so nothing it runs in parallel is lost. libuv
 * reads this once, when the pool starts, so it has to be in the environment the process starts with.
 */
export const HOST_THREADPOOL_SIZE = '1';

export function hostEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, UV_THREADPOOL_SIZE: HOST_THREADPOOL_SIZE };
}
