import { toHex } from '../bytes.js';
import { headerHash } from '../canonical.js';
import { decodeBlockHeaderData } from '../model.js';

/** A block off our canonical chain, kept by hash so a later child can switch to its branch. */
export interface SideBlock {
  readonly hash: string;
  readonly prevHash: string;
  readonly height: number;
  readonly bytes: Uint8Array;
  /** The peer that sent it first (its ancestors are fetched from there). */
  readonly from?: string | undefined;
}

/** Side blocks kept by default: a few competing blocks per slot over many slots. */
export const DEFAULT_SIDE_BLOCKS = 64;
/** Bytes of side blocks kept by default. */
export const DEFAULT_SIDE_BLOCK_BYTES = 16 * 1024 * 1024;

/**
 * Recent blocks that did not extend our tip (a competing block at our height, or one whose
 * parent we lack), as Bitcoin and Ethereum keep side-chain blocks: when a child of one arrives,
 * the branch is in hand and the switch needs no round trip. Nothing here is validated (the
 * switch validates the whole branch); the oldest go first past `maxBlocks` or `maxBytes`.
 */
export class SideBlocks {
  private readonly blocks = new Map<string, SideBlock>();
  private bytes = 0;

  constructor(
    readonly maxBlocks = DEFAULT_SIDE_BLOCKS,
    readonly maxBytes = DEFAULT_SIDE_BLOCK_BYTES,
  ) {
    if (!Number.isInteger(maxBlocks) || maxBlocks < 1) throw new RangeError('maxBlocks must be >= 1');
  }

  get size(): number {
    return this.blocks.size;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  /** Keeps `bytes` (its header is decoded and hashed here); undefined when it has no valid header. */
  add(bytes: Uint8Array, from?: string): SideBlock | undefined {
    let block: SideBlock;
    try {
      const header = decodeBlockHeaderData(bytes);
      block = {
        hash: toHex(headerHash(header)),
        prevHash: toHex(header.prevHash),
        height: header.height,
        bytes,
        from,
      };
    } catch {
      return undefined;
    }
    const held = this.blocks.get(block.hash);
    if (held) return held;
    if (bytes.length > this.maxBytes) return block; // usable now, never kept
    this.blocks.set(block.hash, block);
    this.bytes += bytes.length;
    for (const [hash, old] of this.blocks) {
      if (this.blocks.size <= this.maxBlocks && this.bytes <= this.maxBytes) break;
      this.blocks.delete(hash);
      this.bytes -= old.bytes.length;
    }
    return block;
  }

  /** The kept block with the best tip: the highest, then the lowest hash. */
  best(): SideBlock | undefined {
    let best: SideBlock | undefined;
    for (const b of this.blocks.values()) {
      if (!best || b.height > best.height || (b.height === best.height && b.hash < best.hash)) best = b;
    }
    return best;
  }

  get(hash: string): SideBlock | undefined {
    return this.blocks.get(hash);
  }

  delete(hash: string): void {
    const block = this.blocks.get(hash);
    if (!block) return;
    this.blocks.delete(hash);
    this.bytes -= block.bytes.length;
  }

  clear(): void {
    this.blocks.clear();
    this.bytes = 0;
  }
}
