import { CommanderError } from 'commander';
import { NotWiredError } from './chain/seams.js';
import { UsageError } from './commands/common.js';
import { buildProgram } from './commands/program.js';
import { ConfigError } from './config/errors.js';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_UNAVAILABLE, EXIT_USAGE } from './exit-codes.js';
import { KeyFileError } from './keys.js';
import { RpcCallError, RpcUnavailableError } from './rpc/client.js';

/** Runs `tc-node` with `argv` and maps every error to a message on stderr and an exit code. */
async function main(argv: string[]): Promise<void> {
  // `tc-node status | head -3`: the reader left; what is unprinted is not wanted. Without this
  // the EPIPE was an unhandled 'error' event and a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = exitCodeOf(error);
    if (!(error instanceof CommanderError)) process.stderr.write(`tc-node: ${messageOf(error)}\n`);
    // Exit now: a failed `start` may leave handles open (stdin with --stop-with-parent). Writes to
    // pipes, files and TTYs are synchronous on Linux, so nothing printed above is lost.
    process.exit(code);
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : EXIT_USAGE; // --help / --version exit 0
  }
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof ConfigError) return EXIT_CONFIG;
  if (error instanceof RpcUnavailableError) return EXIT_UNAVAILABLE;
  if (error instanceof RpcCallError || error instanceof KeyFileError || error instanceof NotWiredError) {
    return EXIT_FAILURE;
  }
  return EXIT_FAILURE;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`tc-node: ${messageOf(error)}\n`);
  process.exitCode = EXIT_FAILURE;
});
