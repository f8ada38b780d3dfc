import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  /** pino level; default `info`. */
  readonly level?: string;
  /** `auto` (default): pretty when the destination is a TTY, JSON otherwise. */
  readonly format?: LogFormat;
  /** File descriptor to write to; default 1 (stdout). CLI commands that print results use 2. */
  readonly fd?: number;
  /** A stream instead of a file descriptor (tests). Always JSON. */
  readonly stream?: DestinationStream;
  /** Static fields on every line (e.g. `{ node: 2 }` in a devnet). */
  readonly base?: Record<string, unknown>;
}

/** Whether `format` means pretty output for file descriptor `fd`. */
export function wantsPretty(format: LogFormat, fd: number, isTty = isTtyFd(fd)): boolean {
  return format === 'pretty' || (format === 'auto' && isTty);
}

function isTtyFd(fd: number): boolean {
  if (fd === 1) return process.stdout.isTTY === true;
  if (fd === 2) return process.stderr.isTTY === true;
  return false;
}

/**
 * The root logger. JSON lines by default; on a TTY (or with format `pretty`) lines go through
 * pino-pretty. pino-pretty runs as a synchronous stream on the main thread rather than as a
 * worker transport: a node that exits from the ShutdownCoordinator must not lose its last
 * lines, and a human-facing terminal is never the throughput bottleneck.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const opts: PinoOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.stream) return pino(opts, options.stream);
  const fd = options.fd ?? 1;
  if (wantsPretty(options.format ?? 'auto', fd)) {
    return pino(
      opts,
      pretty({
        destination: fd,
        sync: true,
        colorize: isTtyFd(fd),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,component,peer',
        messageFormat: '{if component}[{component}] {end}{if peer}<{peer}> {end}{msg}',
      }),
    );
  }
  return pino(opts, pino.destination({ fd, sync: true }));
}

/** A child logger for one component: every line carries `component`. */
export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}

/** Identifies a peer on log lines: a peer id (public key hex) and, when known, its address. */
export interface PeerRef {
  readonly id: string;
  readonly address?: string;
}

/**
 * A child logger for lines about one peer: every line carries `peer` (the id, shortened to 16
 * hex characters) and `peerAddr` when known. Components log peer events only through this.
 */
export function peerLogger(logger: Logger, peer: PeerRef | string): Logger {
  const ref = typeof peer === 'string' ? { id: peer } : peer;
  return logger.child({
    peer: ref.id.length > 16 ? ref.id.slice(0, 16) : ref.id,
    ...(ref.address ? { peerAddr: ref.address } : {}),
  });
}

/** The logger surface @tc/registry and @tc/consensus take (pino-compatible). */
export interface PackageLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): PackageLogger;
}

/**
 * A logger for a package (`component` = its name). The packages name their own sub-loggers
 * with a `module` field (the registry inside consensus: `{ module: 'registry' }`); here that
 * becomes the line's `component`, so every line has exactly one `component` and peer lines keep
 * the packages' `peer` field.
 */
export function packageLogger(
  root: Logger,
  component: string,
  bindings: Record<string, unknown> = {},
): PackageLogger {
  const l = root.child({ ...bindings, component });
  const call =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') l[level](obj);
      else if (msg === undefined) l[level](obj);
      else l[level](obj, msg);
    };
  return {
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    child: (b) => {
      const { module, component: c, ...rest } = b;
      const name = typeof module === 'string' ? module : typeof c === 'string' ? c : component;
      return packageLogger(root, name, { ...bindings, ...rest });
    },
  };
}
