import { createHash } from 'node:crypto';
import type { ChainStore, CommitBlockInput } from '@tc/storage';
import { pb, u64ToBigInt } from '@tc/wire';
import { toHex } from '../bytes.js';
import { txid as computeTxid } from '../canonical.js';
import type { ChainStateView, HeaderRef, UtxoEntry, UtxoSource } from '../chain-state.js';
import { buildGenesisBlock, type GenesisConfig } from '../genesis.js';
import {
  type BlockData,
  decodeBlockData,
  encodeBlockData,
  type Outpoint,
  outpointKey,
  toPbBlock,
} from '../model.js';
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
  return store.getUtxos(outpoints).map((u) =>
    u === undefined
      ? undefined
      : {
          value: u.value,
          height: u.height,
          recipient: Uint8Array.prototype.slice.call(u.recipient, 0, 32),
        },
  );
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

/** Commit input of a block read back from storage (txids recomputed on this thread). */
export function commitInputOfStored(
  block: BlockData,
  hash: Uint8Array,
  blockBytes: Uint8Array,
): CommitBlockInput {
  return commitInputOf(block, {
    height: block.header.height,
    hash,
    prevHash: block.header.prevHash,
    blockBytes,
    txs: block.txs.map((tx, index) => ({ txid: computeTxid(tx), index })),
  });
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
 * The UTXO set as it was at a fork point below the tip, plus the effect of side-branch
 * blocks applied on top, built without writing anything:
 *
 * - outputs created by the abandoned blocks (fork point + 1 .. tip) are hidden;
 * - outputs the abandoned blocks spent that existed at the fork point are restored: from the
 *   block's undo data when the chain manager still has it (`undoOf`, the plans of recently
 *   connected blocks), else from their creating transaction through storage's transaction
 *   index (each creating block is read and decoded once);
 * - `apply(plan)` layers a validated branch block on top (spends hidden, creates added).
 */
export class ForkUtxoOverlay implements UtxoSource {
  private readonly hidden = new Set<string>();
  private readonly added = new Map<string, UtxoEntry>();
  private readonly decoded = new Map<string, ReturnType<typeof decodeBlockData> | undefined>();

  constructor(
    private readonly store: ChainStore,
    abandoned: readonly { block: BlockData; hash?: Uint8Array; txids: readonly Uint8Array[] }[],
    undoOf: (hash: Uint8Array) => BlockUndo | undefined = () => undefined,
  ) {
    const createdAbove = new Set<string>();
    for (const { block, hash, txids } of abandoned) {
      const undo = hash ? undoOf(hash) : undefined;
      if (undo) {
        undo.spends.forEach((o, i) => {
          const key = outpointKey(o.txid, o.vout);
          if (!createdAbove.has(key)) this.added.set(key, undo.spentOutputs[i]!);
        });
      }
      block.txs.forEach((tx, i) => {
        if (!undo) {
          for (const input of tx.inputs) {
            const key = outpointKey(input.prevTxid, input.vout);
            if (createdAbove.has(key)) continue;
            const restored = this.readSpentOutput(input.prevTxid, input.vout);
            if (restored) this.added.set(key, restored);
          }
        }
        tx.outputs.forEach((_, vout) => {
          const key = outpointKey(txids[i]!, vout);
          createdAbove.add(key);
          this.hidden.add(key);
        });
      });
    }
    this.decoded.clear();
  }

  private readSpentOutput(txid: Uint8Array, vout: number): UtxoEntry | undefined {
    const location = this.store.getTxLocation(txid);
    if (!location) return undefined;
    const key = toHex(location.blockHash);
    if (!this.decoded.has(key)) {
      const bytes = this.store.getBlockBytes(location.blockHash);
      this.decoded.set(key, bytes ? decodeBlockData(bytes) : undefined);
    }
    const output = this.decoded.get(key)?.txs[location.index]?.outputs[vout];
    if (!output) return undefined;
    return {
      value: output.value,
      recipient: new Uint8Array(output.recipient), // copy: never alias a store buffer
      height: location.height,
    };
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
