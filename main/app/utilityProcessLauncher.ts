// Starts the inference host as an Electron utilityProcess (the desktop app). It belongs to the
// Electron shell (main/app), which passes Electron's module in.
// The host entry is the same one forkLauncher starts; it talks over process.parentPort there.
import type { HostChannel, HostExit, HostLauncher, HostRequest } from '../engine/protocol.ts';
import { hostEntryPath } from '../engine/launchers/hostEntry.ts';
import { hostEnv } from '../engine/launchers/hostEnv.ts';
import { StderrTail } from '../engine/launchers/stderrTail.ts';

/** The slice of Electron's `utilityProcess` module this launcher uses. */
export interface UtilityProcessModule {
  fork(
    modulePath: string,
    args?: string[],
    options?: { stdio?: 'pipe' | 'ignore' | 'inherit' | ('pipe' | 'ignore' | 'inherit')[]; serviceName?: string; env?: NodeJS.ProcessEnv },
  ): UtilityProcessLike;
}

export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export function utilityProcessLauncher(utilityProcess: UtilityProcessModule, env?: NodeJS.ProcessEnv): HostLauncher {
  return () => {
    const child = utilityProcess.fork(hostEntryPath(), [], {
      stdio: ['ignore', 'inherit', 'pipe'],
      serviceName: 'Chameleon inference',
      env: hostEnv(env),
    });
    const tail = new StderrTail();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string | Buffer) => tail.push(String(chunk)));
    let exited: HostExit | null = null;
    const exitListeners: ((exit: HostExit) => void)[] = [];
    child.on('exit', (code) => {
      // utilityProcess reports a native crash as a non-zero code, not a signal.
      exited = { code, signal: null };
      for (const l of exitListeners) l(exited);
    });
    const channel: HostChannel = {
      pid: child.pid,
      send: (message: HostRequest) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => {
        child.on('message', listener);
      },
      onExit: (listener) => {
        exitListeners.push(listener);
      },
      stderrTail: () => tail.lines(),
      terminate: () =>
        exited
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              exitListeners.push(() => resolve());
              child.kill();
            }),
    };
    return channel;
  };
}
