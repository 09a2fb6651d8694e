import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { ChildMessage, ParentMessage, ServerProcessData } from './server-process';

/** The SCIM app and the baseline app in a child process of their own (bench/server-process.ts). */
export interface Servers {
  scimPort: number;
  baselinePort: number;
  /** CPU time (user + system) the server process used so far, in milliseconds. */
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

/** Forks bench/server-process.js and waits until both apps listen. */
export function startServers(data: ServerProcessData): Promise<Servers> {
  const child = fork(join(__dirname, 'server-process.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<ChildMessage['type'], (msg: ChildMessage) => void>();
  const next = <T extends ChildMessage['type']>(type: T) => new Promise<Extract<ChildMessage, { type: T }>>((resolve) => waiting.set(type, resolve as (msg: ChildMessage) => void));
  const send = (msg: ParentMessage) => child.send(msg);
  child.on('message', (msg: ChildMessage) => {
    const waiter = waiting.get(msg.type);
    waiting.delete(msg.type);
    waiter?.(msg);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const servers: Servers = {
    scimPort: 0,
    baselinePort: 0,
    cpuMs: async () => {
      const reply = next('cpu');
      send({ type: 'cpu' });
      return (await reply).micros / 1000;
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) send({ type: 'close' });
      const timer = setTimeout(() => child.kill(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error('the server process exited during start-up')));
    const failed = next('failed');
    void failed.then((msg) => reject(new Error(`the server process failed to start: ${msg.message}`)));
    void next('ready').then((msg) => {
      waiting.delete('failed');
      resolve({ ...servers, scimPort: msg.scimPort, baselinePort: msg.baselinePort });
    });
    send({ type: 'start', data });
  });
}
