import type { BlockchainInfo, TransactionView } from '@tc/node';
import type { Cluster } from './cluster.js';
import type { TrackedTx } from './tx-load.js';
import { mapLimit, sleep } from './util.js';

export interface TipAgreement {
  readonly agreed: boolean;
  /** ms from the call (the last heal) to the first poll in which every node reported the same tip. */
  readonly afterMs: number;
  readonly height: number;
  readonly hash: string;
  readonly heights: number[];
}

/** Polls every node every 250 ms until all report the same tip hash, for at most `boundMs`. */
export async function waitTipsAgree(cluster: Cluster, boundMs: number): Promise<TipAgreement> {
  const t0 = Date.now();
  let heights: number[] = [];
  for (let k = 0; k < Math.ceil(boundMs / 250) + 1; k++) {
    try {
      const infos = await Promise.all(
        cluster.nodes.map((n) => n.rpc.call<BlockchainInfo>('getblockchaininfo')),
      );
      heights = infos.map((i) => i.height);
      const first = infos[0] as BlockchainInfo;
      if (infos.every((i) => i.bestBlockHash === first.bestBlockHash)) {
        return {
          agreed: true,
          afterMs: Date.now() - t0,
          height: first.height,
          hash: first.bestBlockHash,
          heights,
        };
      }
    } catch {
      // a node not answering counts as disagreement
    }
    if (Date.now() - t0 > boundMs) break;
    await sleep(250);
  }
  return { agreed: false, afterMs: Date.now() - t0, height: -1, hash: '', heights };
}

export interface TxCheck {
  readonly submitted: number;
  /** Submitted transactions in a block of the final chain (as node 0 sees it). */
  readonly inFinalChain: number;
  /** Of those, the ones some node does not have in the same block (must be 0). */
  readonly missingOnSomeNode: string[];
  /** Seen in a block on the final chain earlier, no longer in it (must be 0). */
  readonly lostFromFinalChain: string[];
  /** Seen in a block that is not on the final chain. */
  readonly orphaned: { readonly txid: string; readonly now: 'final-chain' | 'mempool' | 'dropped' }[];
}

/**
 * With every node up and agreeing: which submitted transactions are in the final chain, whether
 * every node has each of them in the same block, and what became of those seen in orphaned blocks.
 */
export async function checkTransactions(cluster: Cluster, txs: readonly TrackedTx[]): Promise<TxCheck> {
  const ref = cluster.nodes[0];
  if (!ref) throw new Error('no nodes');
  const finalHashAt = new Map<number, string | null>();
  const hashAt = async (h: number) => {
    if (!finalHashAt.has(h))
      finalHashAt.set(h, await ref.rpc.call<string>('getblockhash', [h]).catch(() => null));
    return finalHashAt.get(h);
  };
  const final = new Map<string, string>();
  await mapLimit(txs, 8, async (t) => {
    const v = await ref.rpc.call<TransactionView>('gettransaction', [t.txid]).catch(() => undefined);
    if (v?.blockHash) final.set(t.txid, v.blockHash);
  });
  const missing = new Set<string>();
  for (const n of cluster.nodes.slice(1)) {
    await mapLimit([...final], 8, async ([txid, blockHash]) => {
      const v = await n.rpc.call<TransactionView>('gettransaction', [txid]).catch(() => undefined);
      if (v?.blockHash !== blockHash) missing.add(txid);
    });
  }
  const mempool = new Set<string>();
  for (const n of cluster.nodes) {
    for (const id of await n.rpc.call<string[]>('getrawmempool').catch(() => [] as string[])) mempool.add(id);
  }
  const lost: string[] = [];
  const orphaned: TxCheck['orphaned'][number][] = [];
  for (const t of txs) {
    let orphan = false;
    for (const [hash, height] of t.seenIn) {
      if ((await hashAt(height)) === hash) {
        if (!final.has(t.txid)) lost.push(t.txid);
      } else orphan = true;
    }
    if (orphan) {
      const now = final.has(t.txid) ? 'final-chain' : mempool.has(t.txid) ? 'mempool' : 'dropped';
      orphaned.push({ txid: t.txid, now });
    }
  }
  return {
    submitted: txs.length,
    inFinalChain: final.size,
    missingOnSomeNode: [...missing],
    lostFromFinalChain: lost,
    orphaned,
  };
}
