/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode =
  /** A key has a value of the wrong type or out of range, or a combination of keys is refused. */
  | 'CONFIG_INVALID'
  /** A key that the schema does not know (a typo in the file or a flag). */
  | 'CONFIG_UNKNOWN_KEY'
  /** The config file cannot be read. */
  | 'CONFIG_FILE_UNREADABLE'
  /** The config file is not valid JSON, or its top level is not an object. */
  | 'CONFIG_FILE_MALFORMED';

/** One problem with one key. */
export interface ConfigIssue {
  readonly code: ConfigErrorCode;
  /** Dotted key path, e.g. `rpc.port`; `config` for the file itself. */
  readonly key: string;
  /** The offending value (undefined when the key is missing). */
  readonly value: unknown;
  /** What is expected, in words: `an integer in 1..65535`. */
  readonly expected: string;
  /** Where the value came from: `default`, `file /etc/tc.json`, `env TC_RPC_PORT`, `flag --rpc-port`. */
  readonly source: string;
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** Formats one issue: `rpc.port = 99999 (env TC_RPC_PORT): expected an integer in 1..65535`. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.key} = ${show(issue.value)} (${issue.source}): expected ${issue.expected}`;
}

/**
 * The configuration is unusable. The message names every bad key, its value, where the value
 * came from and what is expected; `issues` carries the same as data. The CLI prints the message
 * and exits with {@link EXIT_CONFIG}; the node never starts half-configured.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    if (!first) throw new RangeError('ConfigError needs at least one issue');
    super(
      issues.length === 1
        ? `invalid configuration: ${formatIssue(first)}`
        : `invalid configuration (${issues.length} problems):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.code = first.code;
    this.issues = issues;
  }
}
