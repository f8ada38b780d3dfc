import { toHex } from '../bytes.js';
import type { BlockPlan } from '../stateful.js';
import type { BlockUndo } from './storage-view.js';

/** Blocks whose undo data stays in memory, and the outputs they may hold in all (LIMITS.md). */
export const MEMORY_UNDO_BLOCKS = 8;
export const MEMORY_UNDO_OUTPUTS = 20_000;

/**
 * Undo data (spent outputs) of the last few blocks we connected, for the common shallow reorg;
 * deeper ones read storage's undo records. Bounded in blocks and in outputs: 116 full blocks
 * held ~230,000 decoded outputs, the largest live set on a loaded node's heap.
 */
export class UndoMemory {
  private readonly undo = new Map<string, BlockUndo>();
  private outputs = 0;

  get(hash: Uint8Array): BlockUndo | undefined {
    return this.undo.get(toHex(hash));
  }

  remember(plan: BlockPlan): void {
    const key = toHex(plan.hash);
    const old = this.undo.get(key);
    if (old) this.outputs -= old.spentOutputs.length;
    this.undo.set(key, { spends: plan.spends, spentOutputs: plan.spentOutputs });
    this.outputs += plan.spentOutputs.length;
    for (const [oldest, entry] of this.undo) {
      if (this.undo.size <= 1) break;
      if (this.undo.size <= MEMORY_UNDO_BLOCKS && this.outputs <= MEMORY_UNDO_OUTPUTS) break;
      this.undo.delete(oldest);
      this.outputs -= entry.spentOutputs.length;
    }
  }
}
