/** Errors of the hostile harness. Each class has a typed string `code`. */

export type ConnectErrorCode = 'CONNECT_TIMEOUT' | 'CONNECT_FAILED';

/** A raw TCP connection to the target could not be opened. */
export class ConnectError extends Error {
  constructor(
    readonly code: ConnectErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

export type HostileOptionErrorCode = 'BAD_OPTION' | 'UNKNOWN_CASE';

/** `runHostileSuite` (or the CLI) was given an option it cannot use. */
export class HostileOptionError extends Error {
  constructor(
    readonly code: HostileOptionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HostileOptionError';
  }
}

export type ProbeErrorCode = 'TARGET_UNREACHABLE' | 'NO_BASELINE';

/** The honest probe could not connect to the target or measure a baseline: nothing can be judged. */
export class ProbeError extends Error {
  constructor(
    readonly code: ProbeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProbeError';
  }
}
