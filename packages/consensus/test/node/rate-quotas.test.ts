import { DEFAULT_RATE_QUOTAS } from '@tc/registry';
import { describe, expect, it } from 'vitest';
import {
  blockServeQuota,
  capacityRateQuotas,
  MAX_SERVE_BLOCKS_PER_SEC,
  MIN_BLOCK_BYTES,
} from '../../src/internal.js';

describe('getBlockRange quota sized from the chain (blockServeQuota)', () => {
  it('is 4 full blocks of bytes per slot counted in the smallest block: 16 645 blocks/s for 1 MiB blocks and 1 s slots', () => {
    expect(MIN_BLOCK_BYTES).toBe(252); // header 120 + signature 64 + coinbase 28 + one output 40
    const q = blockServeQuota({ slotMs: 1_000, maxBlockBytes: 1024 * 1024 });
    expect(q).toEqual({
      ratePerSec: Math.ceil((4 * 1024 * 1024) / 252),
      burst: Math.ceil((4 * 1024 * 1024) / 252),
    });
    expect(q.ratePerSec).toBe(16_645);
    expect(capacityRateQuotas({ slotMs: 1_000, maxBlockBytes: 1024 * 1024 }).getBlockRange).toEqual(q);
  });

  it('follows the slot and block size, capped above and never below the registry floor', () => {
    const floor = DEFAULT_RATE_QUOTAS.getBlockRange!;
    // 400 ms slots: 2.5 slots a second.
    expect(blockServeQuota({ slotMs: 400, maxBlockBytes: 64 * 1024 }).ratePerSec).toBe(
      Math.ceil((4 * 64 * 1024 * 2.5) / 252),
    );
    expect(blockServeQuota({ slotMs: 100, maxBlockBytes: 8 * 1024 * 1024 }).ratePerSec).toBe(
      MAX_SERVE_BLOCKS_PER_SEC,
    );
    // Tiny blocks and long slots: the registry's floor.
    expect(blockServeQuota({ slotMs: 60_000, maxBlockBytes: 4_096 })).toEqual(floor);
  });
});
