import { HandlerError, type StreamHandler } from '@tc/registry';
import { pb, type tc, u64ToNumber } from '@tc/wire';

/** Where a block-range server reads blocks: protobuf bytes, consecutive from `startHeight`. */
export interface BlockRangeSource {
  /** Up to `count` canonical blocks from `startHeight`, fewer at the tip (e.g. ChainStore.getBlocks). */
  getBlocks(
    startHeight: number,
    count: number,
  ): ReadonlyArray<Uint8Array | { readonly blockBytes: Uint8Array }>;
  /** Finality certificates stored for heights [start, start + count) (e.g. ChainStore.getCertificates). */
  getCertificates?(start: number, count: number): ReadonlyArray<{ height: number; bytes: Uint8Array }>;
}

export interface BlockRangeHandlerOptions {
  /** Largest `count` served; a larger request is answered with this many (default 512). */
  maxBlocksPerRequest?: number;
  /** A chunk is sent once its blocks reach this many bytes (default 1 MiB; the frame limit is 8 MiB). */
  maxChunkBytes?: number;
  /** Blocks read from the source at a time (default 64). */
  readBlocks?: number;
}

/**
 * The server side of range sync: a `registry.handle('getBlockRange', …)` handler streaming
 * blocks from a source in chunks of at most maxChunkBytes, as the stored bytes (never decoded). It stops at the source's tip
 * (fewer blocks than asked); a start height that is not a safe integer is INVALID_REQUEST.
 */
export function blockRangeHandler(
  source: BlockRangeSource,
  options: BlockRangeHandlerOptions = {},
): StreamHandler {
  const maxBlocks = options.maxBlocksPerRequest ?? 512;
  const maxChunkBytes = options.maxChunkBytes ?? 1024 * 1024;
  const readBlocks = Math.max(1, options.readBlocks ?? 64);
  return async function* serveBlockRange(body, ctx) {
    let start: number;
    try {
      start = u64ToNumber(body.startHeight ?? 0);
    } catch {
      throw new HandlerError('INVALID_REQUEST', 'start height out of range');
    }
    const count = Math.min(body.count ?? 0, maxBlocks);
    let sent = 0;
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    let chunkStart = start;
    // A chunk carries the certificates of its own blocks (each a few hundred bytes).
    const withCertificates = (blocks: Uint8Array[], from: number): tc.v1.IBlockRangeChunk => {
      const certs = source.getCertificates?.(from, blocks.length) ?? [];
      return certs.length === 0
        ? { blocks }
        : { blocks, certificates: certs.map((c) => pb.Certificate.decode(c.bytes)) };
    };
    while (sent < count && !ctx.signal.aborted) {
      const want = Math.min(readBlocks, count - sent);
      const read = source.getBlocks(start + sent, want);
      for (const item of read) {
        const bytes = item instanceof Uint8Array ? item : item.blockBytes;
        if (chunk.length > 0 && chunkBytes + bytes.length > maxChunkBytes) {
          yield withCertificates(chunk, chunkStart);
          chunkStart += chunk.length;
          chunk = [];
          chunkBytes = 0;
        }
        chunk.push(bytes); // the stored bytes as they are: the client decodes them once, in its pool
        chunkBytes += bytes.length;
      }
      sent += read.length;
      if (read.length < want) break; // at the tip
    }
    if (chunk.length > 0) yield withCertificates(chunk, chunkStart);
  };
}
