import { createHash } from 'node:crypto';
import type { ChainStore, CommitBlockInput } from '@tc/storage';
import { pb, u64ToBigInt } from '@tc/wire';
import { toHex } from '../bytes.js';
import type { ChainStateView, HeaderRef, UtxoEntry, UtxoSource } from '../chain-state.js';
import { buildGenesisBlock, type GenesisConfig } from '../genesis.js';
import { type BlockData, encodeBlockData, type Outpoint, outpointKey, toPbBlock } from '../model.js';
import type { BlockPlan } from '../stateful.js';

/** Reads a stored header's timestamp (storage keeps the encoded `BlockHeader`). */
export function headerRefOf(store: ChainStore, height: number, hash: Uint8Array): HeaderRef {
  const bytes = store.getHeaderBytes(hash);
  if (bytes === undefined) throw new Error(`header ${toHex(hash)} at height ${height} is not stored`);
  const header = pb.BlockHeader.decode(bytes);
  return { height, hash, timestampMs: Number(u64ToBigInt(header.timestampMs)) };
}

/**
 * @tc/storage's ChainStore as the consensus `ChainStateView`: the canonical chain and its
 * UTXO set. Every read is synchronous and runs against one LMDB snapshot.
 */
export class StorageChainView implements ChainStateView {
  constructor(private readonly store: ChainStore) {}

  getTip(): HeaderRef {
    const tip = this.store.getTip();
    if (tip === undefined) throw new Error('the store has no genesis block');
    return headerRefOf(this.store, tip.height, tip.hash);
  }

  getHeaderAtHeight(height: number): HeaderRef | undefined {
    const hash = this.store.getBlockHash(height);
    return hash === undefined ? undefined : headerRefOf(this.store, height, hash);
  }

  getUtxos(outpoints: readonly Outpoint[]): (UtxoEntry | undefined)[] {
    return readUtxos(this.store, outpoints);
  }
}

/**
 * Batched UTXO read. Each entry is copied into consensus-owned memory (value, height and a
 * 32-byte recipient), so nothing aliases a buffer the store may reuse for its next read.
 */
export function readUtxos(store: ChainStore, outpoints: readonly Outpoint[]): (UtxoEntry | undefined)[] {
  // Storage's entries are the caller's own copies (its README, "Reads"): used as they are.
  return store.getUtxos(outpoints);
}

/**
 * Maps a validated block to storage's commit input: one delta per transaction, in block
 * order, with every input as a spend (storage applies transactions in order, so in-block
 * spends resolve) and every output. Storage builds the undo record itself.
 */
export function commitInputOf(
  block: BlockData,
  plan: Pick<BlockPlan, 'height' | 'hash' | 'prevHash' | 'blockBytes' | 'txs'>,
): CommitBlockInput {
  const header = toPbBlock(block).header!;
  return {
    height: plan.height,
    hash: plan.hash,
    prevHash: plan.prevHash,
    blockBytes: plan.blockBytes,
    headerBytes: pb.BlockHeader.encode(header).finish(),
    txs: block.txs.map((tx, i) => ({
      txid: plan.txs[i]!.txid,
      spends: tx.inputs.map((input) => ({ txid: input.prevTxid, vout: input.vout })),
      outputs: tx.outputs,
    })),
  };
}

/** The genesis block as storage's first commit. */
export function genesisCommitInput(genesis: GenesisConfig): CommitBlockInput {
  const g = buildGenesisBlock(genesis);
  const bytes = encodeBlockData(g.block);
  return commitInputOf(g.block, {
    height: 0,
    hash: g.hash,
    prevHash: g.block.header.prevHash,
    blockBytes: bytes,
    txs: [{ txid: g.txid, index: 0 }],
  });
}

/** Undo data of a block we connected ourselves: what its `spends` consumed, in order. */
export interface BlockUndo {
  readonly spends: readonly Outpoint[];
  readonly spentOutputs: readonly UtxoEntry[];
}

/**
 * The UTXO set as it was at a fork point below the tip, plus the effect of blocks applied on
 * top, built without writing anything:
 *
 * - outputs created by the abandoned blocks (fork point + 1 .. tip) are hidden;
 * - outputs the abandoned blocks spent that existed at the fork point (i.e. were not created by
 *   an abandoned block) are restored from the block's undo data: `undoOf` (the plans of recently
 *   connected blocks) when it has the block, else storage's undo record (`getBlockUndo`, one read
 *   per block; no creating block is read);
 * - `apply(plan)` layers a validated block on top (spends hidden, creates added).
 *
 * With no abandoned blocks it is the tip's UTXO set plus the applied blocks: `importBlocks`
 * validates block k+1 of a batch against it before block k is committed.
 */
export class ForkUtxoOverlay implements UtxoSource {
  private readonly hidden = new Set<string>();
  private readonly added = new Map<string, UtxoEntry>();

  constructor(
    private readonly store: ChainStore,
    abandoned: readonly { block: BlockData; hash?: Uint8Array; txids: readonly Uint8Array[] }[] = [],
    undoOf: (hash: Uint8Array) => BlockUndo | undefined = () => undefined,
  ) {
    for (const { block, txids } of abandoned) {
      block.txs.forEach((tx, i) => {
        tx.outputs.forEach((_, vout) => {
          this.hidden.add(outpointKey(txids[i]!, vout));
        });
      });
    }
    for (const { hash } of abandoned) {
      if (hash === undefined) throw new Error('an abandoned block needs its hash to read its undo data');
      for (const { outpoint, output } of spentOutputsOf(store, hash, undoOf)) {
        const key = outpointKey(outpoint.txid, outpoint.vout);
        if (!this.hidden.has(key)) this.added.set(key, output);
      }
    }
  }

  getUtxos(outpoints: readonly Outpoint[]): (UtxoEntry | undefined)[] {
    const stored = readUtxos(this.store, outpoints);
    return outpoints.map((o, i) => {
      const key = outpointKey(o.txid, o.vout);
      const added = this.added.get(key);
      if (added) return added;
      return this.hidden.has(key) ? undefined : stored[i];
    });
  }

  /** Layers a validated branch block on top. */
  apply(plan: BlockPlan): void {
    for (const s of plan.spends) {
      const key = outpointKey(s.txid, s.vout);
      this.added.delete(key);
      this.hidden.add(key);
    }
    for (const c of plan.creates) {
      this.added.set(outpointKey(c.outpoint.txid, c.outpoint.vout), { ...c.output, height: plan.height });
    }
  }
}

/** What a stored block spent: from the in-memory undo data if present, else storage's undo record. */
function spentOutputsOf(
  store: ChainStore,
  hash: Uint8Array,
  undoOf: (hash: Uint8Array) => BlockUndo | undefined,
): { outpoint: Outpoint; output: UtxoEntry }[] {
  const undo = undoOf(hash);
  if (undo) return undo.spends.map((outpoint, i) => ({ outpoint, output: undo.spentOutputs[i]! }));
  const stored = store.getBlockUndo(hash);
  if (stored === undefined) throw new Error(`no undo record for block ${toHex(hash)}`);
  return stored.map(({ outpoint, output }) => ({
    outpoint: { txid: Uint8Array.from(outpoint.txid), vout: outpoint.vout },
    output: {
      value: output.value,
      height: output.height,
      recipient: Uint8Array.prototype.slice.call(output.recipient, 0, 32), // consensus-owned copy
    },
  }));
}

/**
 * SHA-256 over the whole UTXO set in outpoint order (txid ‖ vout u32 BE ‖ value u64 LE ‖
 * height u64 LE ‖ recipient): equal digests mean identical UTXO sets. Reads one snapshot.
 */
export function utxoSetDigest(store: ChainStore): { digest: string; count: number } {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(20);
  const count = store.forEachUtxo((outpoint, utxo) => {
    hash.update(outpoint.txid);
    buf.writeUInt32BE(outpoint.vout, 0);
    buf.writeBigUInt64LE(utxo.value, 4);
    buf.writeBigUInt64LE(BigInt(utxo.height), 12);
    hash.update(buf);
    hash.update(utxo.recipient.subarray(0, 32)); // recipients are 32 bytes (consensus rule)
  });
  return { digest: hash.digest('hex'), count };
}
