// The environment every engine host process starts with, whichever launcher starts it.

/**
 * One libuv pool thread: node-llama-cpp runs each decode as an async worker on that pool, and
 * with the default four, successive tokens ran on different pool threads while OpenMP keeps a
 * thread team per calling thread, so two teams spun against each other on the same cores (decode
 * at 2 threads: 38–40 tok/s, 52–54 with one pool thread, issue 14). The host serves one request
 * at a time, so nothing it runs in parallel is lost. libuv reads this once, when the pool starts,
 * so it has to be in the environment the process starts with.
 */
export const HOST_THREADPOOL_SIZE = '1';

export function hostEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, UV_THREADPOOL_SIZE: HOST_THREADPOOL_SIZE };
}
