import { bytesEqual, toHex } from './bytes.js';
import type { ChainStateView, HeaderRef, UtxoEntry } from './chain-state.js';
import { buildGenesisBlock, type GenesisConfig } from './genesis.js';
import { encodeBlockData, type Outpoint, outpointKey } from './model.js';
import type { BlockPlan } from './stateful.js';

/**
 * An in-memory ChainStateView: a single chain and its UTXO set. For tests, benches and tools;
 * the node uses @tc/storage through an adapter with the same interface.
 */
export class MemoryChainState implements ChainStateView {
  private readonly headers: HeaderRef[] = [];
  private readonly blocks: Uint8Array[] = [];
  private readonly utxos = new Map<string, UtxoEntry>();

  constructor(readonly genesis: GenesisConfig) {
    const g = buildGenesisBlock(genesis);
    this.headers.push({ height: 0, hash: g.hash, timestampMs: genesis.timestampMs });
    this.blocks.push(encodeBlockData(g.block));
    genesis.allocations.forEach((output, vout) => {
      this.utxos.set(outpointKey(g.txid, vout), { ...output, height: 0 });
    });
  }

  getTip(): HeaderRef {
    return this.headers[this.headers.length - 1]!;
  }

  getHeaderAtHeight(height: number): HeaderRef | undefined {
    return this.headers[height];
  }

  getBlockBytes(height: number): Uint8Array | undefined {
    return this.blocks[height];
  }

  getUtxos(outpoints: readonly Outpoint[]): (UtxoEntry | undefined)[] {
    return outpoints.map((o) => this.utxos.get(outpointKey(o.txid, o.vout)));
  }

  get utxoCount(): number {
    return this.utxos.size;
  }

  /** Commits a validated plan on top of the tip. */
  applyPlan(plan: BlockPlan): void {
    const tip = this.getTip();
    if (plan.height !== tip.height + 1 || !bytesEqual(plan.prevHash, tip.hash)) {
      throw new Error(
        `plan for height ${plan.height} (prev ${toHex(plan.prevHash)}) does not extend the tip`,
      );
    }
    for (const s of plan.spends) {
      if (!this.utxos.delete(outpointKey(s.txid, s.vout))) throw new Error('plan spends a missing output');
    }
    for (const c of plan.creates) {
      this.utxos.set(outpointKey(c.outpoint.txid, c.outpoint.vout), { ...c.output, height: plan.height });
    }
    this.headers.push({ height: plan.height, hash: plan.hash, timestampMs: plan.timestampMs });
    this.blocks.push(plan.blockBytes);
  }
}
