import {
  NotConnectedError,
  type PeerConnectionRegistry,
  PeerDisconnectedError,
  QueueFullError,
  RateLimitedError,
  RemoteError,
  RequestAbortedError,
  RequestTimeoutError,
} from '@tc/registry';
import { type tc, u64 } from '@tc/wire';
import { bytesEqual } from '../bytes.js';
import { headerHash } from '../canonical.js';
import { decodeBlockHeaderData } from '../model.js';

/** Why a batch download failed, as sync reacts to it. */
export type DownloadFailure =
  /** The stream ended with no block. */
  | 'empty'
  /** The stream ended with fewer blocks than asked. */
  | 'short'
  /** Blocks at other heights, not linked to each other, undecodable headers, or too many. */
  | 'bad'
  /** No chunk within the request timeout. */
  | 'timeout'
  /** The peer rate-limited us (or was busy): our pace, not its fault. */
  | 'rate_limited'
  /** The peer answered NOT_FOUND for heights its announced tip covers: it claimed what it lacks. */
  | 'unserved'
  /** The peer answered with another error reply. */
  | 'remote_error'
  /** Not connected, disconnected meanwhile, or our queue to it is full. */
  | 'disconnected'
  /** We cancelled it (stall, abort, end of sync). */
  | 'aborted';

export class DownloadError extends Error {
  constructor(
    readonly failure: DownloadFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

/**
 * Downloads `count` blocks from `startHeight` from one peer: a getBlockRange stream, checked
 * as it arrives (each block at the next height and linked to the one before, never more than
 * asked) and handed to `onBlocks` chunk by chunk. Resolves to the blocks' protobuf bytes,
 * exactly `count` of them; anything else rejects with a DownloadError.
 */
export async function downloadRange(
  registry: PeerConnectionRegistry,
  peerId: string,
  startHeight: number,
  count: number,
  opts: {
    timeoutMs: number;
    signal: AbortSignal;
    /** Certificates of blocks in the range (at most one per block asked), once all blocks arrived. */
    onCertificates?: (certificates: tc.v1.ICertificate[]) => void;
    /**
     * Each chunk's blocks as they pass the checks above (`startHeight`: the first one's), before
     * the stream ends: a sync starts their validation while the rest still downloads.
     */
    onBlocks?: (blocks: readonly Uint8Array[], startHeight: number) => void;
  },
): Promise<Uint8Array[]> {
  const certificates: tc.v1.ICertificate[] = [];
  const blocks: Uint8Array[] = [];
  let prevHash: Uint8Array | undefined;
  try {
    const stream = registry.stream(
      peerId,
      { kind: 'getBlockRange', body: { startHeight: u64(startHeight), count } },
      { timeoutMs: opts.timeoutMs, signal: opts.signal },
    );
    for await (const chunk of stream) {
      for (const cert of chunk.certificates ?? []) if (certificates.length < count) certificates.push(cert);
      const chunkStart = blocks.length;
      for (const block of chunk.blocks ?? []) {
        const height = startHeight + blocks.length;
        if (blocks.length >= count) throw new DownloadError('bad', `more than the ${count} blocks asked`);
        const { hash, prev, blockHeight } = headerOf(block);
        if (blockHeight !== height) {
          throw new DownloadError(
            'bad',
            `block ${blocks.length} is at height ${blockHeight}, asked ${height}`,
          );
        }
        if (prevHash !== undefined && !bytesEqual(prev, prevHash)) {
          throw new DownloadError('bad', `block at height ${height} does not link to the block before`);
        }
        prevHash = hash;
        blocks.push(block);
      }
      if (blocks.length > chunkStart) opts.onBlocks?.(blocks.slice(chunkStart), startHeight + chunkStart);
    }
  } catch (error) {
    throw classify(error, opts.signal);
  }
  if (blocks.length === 0) throw new DownloadError('empty', `no blocks for ${startHeight}+${count}`);
  if (blocks.length < count) {
    throw new DownloadError('short', `${blocks.length} of ${count} blocks from ${startHeight}`);
  }
  if (certificates.length > 0) opts.onCertificates?.(certificates);
  return blocks;
}

function headerOf(block: Uint8Array): { hash: Uint8Array; prev: Uint8Array; blockHeight: number } {
  try {
    // The header alone: the transactions are decoded once, in the pool, when the block is validated.
    const header = decodeBlockHeaderData(block);
    return { hash: headerHash(header), prev: header.prevHash, blockHeight: header.height };
  } catch (error) {
    throw new DownloadError('bad', `undecodable header: ${(error as Error).message}`, { cause: error });
  }
}

function classify(error: unknown, signal: AbortSignal): DownloadError {
  if (error instanceof DownloadError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const as = (failure: DownloadFailure) => new DownloadError(failure, message, { cause: error });
  if (signal.aborted || error instanceof RequestAbortedError) return as('aborted');
  if (error instanceof RequestTimeoutError) return as('timeout');
  if (error instanceof RateLimitedError) return as('rate_limited');
  if (error instanceof RemoteError) return as(error.replyName === 'NOT_FOUND' ? 'unserved' : 'remote_error');
  if (
    error instanceof PeerDisconnectedError ||
    error instanceof NotConnectedError ||
    error instanceof QueueFullError
  ) {
    return as('disconnected');
  }
  // Anything else: not proven to be the peer's fault, so this range moves on without a report.
  return as('remote_error');
}
