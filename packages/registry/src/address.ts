import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses "host:port" or "[v6]:port". Throws RangeError on anything else. */
export function parseAddress(address: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]]+):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !(port > 0 && port <= 65535)) throw new RangeError(`not a host:port address: ${address}`);
  return { host: m[1]!, port };
}

/** "host:port", bracketing IPv6 literals. */
export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isValidAddress(address: string): boolean {
  try {
    parseAddress(address);
    return true;
  } catch {
    return false;
  }
}
