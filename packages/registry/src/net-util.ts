import { connect, type Socket } from 'node:net';
import { parseAddress } from './address.js';
import { DialError } from './errors.js';

export function parseAddressOrThrow(address: string): { host: string; port: number } {
  try {
    return parseAddress(address);
  } catch (error) {
    throw new DialError('BAD_ADDRESS', address, (error as Error).message);
  }
}

/** TCP connect bounded by `timeoutMs` (DIAL_TIMEOUT), TCP_NODELAY on. */
export function connectTcp(host: string, port: number, timeoutMs: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError('DIAL_TIMEOUT', address, `no TCP connection within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError('DIAL_FAILED', address, error.message, { cause: error }));
    });
  });
}

/** `promise`, or `onAbort()` as soon as `signal` aborts (the work itself goes on). */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
