import type { PeerConnectionRegistry } from '@tc/registry';
import { type tc, u64, u64ToBigInt } from '@tc/wire';
import { decodeBlockHeaderData } from '../model.js';
import { ForkSyncError } from './chain-errors.js';
import type { JustifiedCheckpoint } from './fork-choice.js';

/** The part of the registry that fork detection and branch fetches use. */
export type PeerChainApi = Pick<PeerConnectionRegistry, 'query' | 'request' | 'stream'>;

export interface PeerTipAnswer {
  readonly height: number;
  readonly hash: Uint8Array;
  /** The highest justified checkpoint the peer claims for its chain (absent from older peers). */
  readonly justified?: JustifiedCheckpoint;
}

/** Asks every connected peer (or `peers`) for its tip; failed or absurd answers are left out. */
export async function queryTips(
  api: PeerChainApi,
  opts: { timeoutMs?: number; peers?: readonly string[] } = {},
): Promise<{ tips: Map<string, PeerTipAnswer>; asked: number }> {
  const answers = await api.query(
    { kind: 'getChainTip', body: {} },
    {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.peers ? { peers: opts.peers } : {}),
    },
  );
  const tips = new Map<string, PeerTipAnswer>();
  for (const [peerId, answer] of answers) {
    if (!answer.ok) continue;
    const height = u64ToBigInt(answer.value.height);
    const hash = answer.value.hash;
    if (height > BigInt(Number.MAX_SAFE_INTEGER) || !hash || hash.length !== 32) continue;
    const epoch = u64ToBigInt(answer.value.justifiedEpoch ?? 0);
    const jHash = answer.value.justifiedHash;
    const justified =
      epoch > 0n && epoch <= BigInt(Number.MAX_SAFE_INTEGER) && jHash?.length === 32
        ? { justified: { epoch: Number(epoch), hash: new Uint8Array(jHash) } }
        : {};
    tips.set(peerId, { height: Number(height), hash: new Uint8Array(hash), ...justified });
  }
  return { tips, asked: answers.size };
}

/** The peer's canonical block hash at `height`, undefined when it has none. One round trip. */
export async function remoteHashAt(
  api: PeerChainApi,
  peerId: string,
  height: number,
  timeoutMs?: number,
): Promise<Uint8Array | undefined> {
  const answer = await api.request(
    peerId,
    { kind: 'getBlockHash', body: { height: u64(height) } },
    timeoutMs !== undefined ? { timeoutMs } : {},
  );
  if (!answer.hash || answer.hash.length === 0) return undefined;
  if (answer.hash.length !== 32 || u64ToBigInt(answer.height) !== BigInt(height)) {
    throw new ForkSyncError('INCONSISTENT_PEER', `bad blockHash answer for height ${height}`, peerId);
  }
  return new Uint8Array(answer.hash);
}

/**
 * Fetches `count` consecutive blocks from `start` through a streamed getBlockRange and returns
 * them encoded. Checks the count and every height; stops reading beyond `maxBytes`.
 * Fewer blocks than asked is allowed (the peer's chain may be shorter now); more is not.
 */
export async function fetchBlockRange(
  api: Pick<PeerChainApi, 'stream'>,
  peerId: string,
  start: number,
  count: number,
  opts: {
    timeoutMs?: number;
    maxBytes?: number;
    signal?: AbortSignal;
    /** The finality certificates the chunks carry (README 15.6). */
    onCertificates?: (certificates: tc.v1.ICertificate[]) => void;
  } = {},
): Promise<Uint8Array[]> {
  const maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
  const out: Uint8Array[] = [];
  let bytes = 0;
  const stream = api.stream(
    peerId,
    { kind: 'getBlockRange', body: { startHeight: u64(start), count } },
    {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
  for await (const chunk of stream) {
    if (chunk.certificates?.length) opts.onCertificates?.(chunk.certificates);
    for (const block of chunk.blocks ?? []) {
      const expected = start + out.length;
      // The header alone (the block is decoded once, when the chain validates it).
      const height = out.length < count ? heightOf(block) : undefined;
      if (height !== expected) {
        await stream.return?.();
        throw new ForkSyncError(
          'BAD_RANGE_RESPONSE',
          `expected block ${expected} of ${start}+${count}, got ${height ?? 'none'}`,
          peerId,
        );
      }
      bytes += block.length;
      if (bytes > maxBytes) {
        await stream.return?.();
        return out;
      }
      out.push(block);
    }
  }
  return out;
}

/** A block's height from its header, or undefined when the header does not decode. */
function heightOf(block: Uint8Array): number | undefined {
  try {
    return decodeBlockHeaderData(block).height;
  } catch {
    return undefined;
  }
}
