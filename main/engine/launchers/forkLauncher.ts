// Starts the inference host with child_process.fork: used by `npm run serve`, the tests and the
// benchmark. The Electron app uses utilityProcessLauncher instead; the host entry is the same.
import { fork } from 'node:child_process';
import type { HostChannel, HostExit, HostLauncher } from '../protocol.ts';
import { hostEntryPath } from './hostEntry.ts';
import { hostEnv } from './hostEnv.ts';
import { StderrTail } from './stderrTail.ts';

export interface ForkLauncherOptions {
  /** Also copy the host's stderr to ours (llama.cpp warnings, crash asserts). */
  forwardStderr?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Module to run instead of the engine host (tests start hosts that fail on purpose). */
  entry?: string;
}

export function forkLauncher(options: ForkLauncherOptions = {}): HostLauncher {
  return () => {
    const child = fork(options.entry ?? hostEntryPath(), [], {
      // No inherited execArgv: test runners add loader flags the host must not carry, and
      // node-llama-cpp re-forks process.execPath with execArgv to test its prebuilt binary.
      execArgv: [],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: hostEnv(options.env),
    });
    const tail = new StderrTail();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      tail.push(chunk);
      if (options.forwardStderr) process.stderr.write(chunk);
    });
    let exited: HostExit | null = null;
    const exitListeners: ((exit: HostExit) => void)[] = [];
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // stderr may still hold the abort message: let it drain before reporting.
      const report = (): void => {
        for (const l of exitListeners) l(exited!);
      };
      if (child.stderr && !child.stderr.readableEnded) child.stderr.once('end', report);
      else report();
    });
    child.on('error', () => {
      /* an exit event follows; a send() to a dead child lands here */
    });
    const channel: HostChannel = {
      pid: child.pid,
      send(message) {
        if (child.connected) child.send(message);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        exitListeners.push(listener);
      },
      stderrTail: () => tail.lines(),
      terminate() {
        if (exited) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.once('exit', () => {
            clearTimeout(killTimer);
            resolve();
          });
          child.kill('SIGTERM');
        });
      },
    };
    return channel;
  };
}
