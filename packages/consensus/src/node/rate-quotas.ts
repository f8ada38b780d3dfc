import { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, type RateQuota } from '@tc/registry';
import { MAX_TXIDS_PER_MESSAGE, MAX_VOTES_PER_MESSAGE } from '@tc/wire';
import { SIGNATURE_BYTES } from '../bytes.js';
import {
  CANONICAL_INPUT_BYTES,
  CANONICAL_OUTPUT_BYTES,
  CANONICAL_TX_FIXED_BYTES,
  HEADER_BYTES,
} from '../canonical.js';
import type { GenesisConfig } from '../genesis.js';

/** Consensus size of the smallest possible transaction: one input, one output (200 bytes). */
export const MIN_TX_BYTES =
  CANONICAL_TX_FIXED_BYTES + CANONICAL_INPUT_BYTES + SIGNATURE_BYTES + CANONICAL_OUTPUT_BYTES;

/** Consensus size of the smallest possible block: header, producer signature, a one-output coinbase (252 bytes). */
export const MIN_BLOCK_BYTES =
  HEADER_BYTES + SIGNATURE_BYTES + CANONICAL_TX_FIXED_BYTES + CANONICAL_OUTPUT_BYTES;

/** Full blocks' worth of bytes per slot a peer may pull by range sync (see blockServeQuota). */
export const SERVE_FULL_BLOCKS_PER_SLOT = 4;

/** The most blocks per second any chain's getBlockRange quota allows a peer. */
export const MAX_SERVE_BLOCKS_PER_SEC = 20_000;

const floorOf = (kind: string): RateQuota => DEFAULT_RATE_QUOTAS[kind] ?? DEFAULT_RATE_QUOTA;

const atLeast = (kind: string, q: RateQuota): RateQuota => {
  const floor = floorOf(kind);
  return { ratePerSec: Math.max(floor.ratePerSec, q.ratePerSec), burst: Math.max(floor.burst, q.burst) };
};

/**
 * Per-peer inbound quotas for the kinds whose honest rate follows the block rate: blockAnnounce
 * at up to 3 blocks per slot (burst: 3 s worth), never below the registry's defaults.
 */
export function slotRateQuotas(slotMs: number): { blockAnnounce: RateQuota; blockInventory: RateQuota } {
  const base = floorOf('blockAnnounce');
  const ratePerSec = Math.max(base.ratePerSec, 3_000 / Math.max(1, slotMs));
  const quota = { ratePerSec, burst: Math.max(base.burst, Math.ceil(3 * ratePerSec)) };
  return { blockAnnounce: quota, blockInventory: quota };
}

/**
 * Per-peer inbound quotas sized from the chain's own capacity (genesis parameters), so that
 * honest relay at full blocks never meets a quota: every transaction kind allows at least two
 * full blocks of the smallest transactions per slot per peer (one for the block being filled,
 * one for the next), with a burst of four blocks' worth, and never less than one whole
 * message of ids; `getBlockRange` from the bytes a syncing peer may pull (blockServeQuota).
 * Over it is back-pressure without blame (see the registry README).
 */
export function capacityRateQuotas(
  genesis: Pick<GenesisConfig, 'slotMs' | 'maxBlockBytes'> & { validators?: readonly unknown[] },
): Record<
  'txInventory' | 'getTxs' | 'txBroadcast' | 'blockAnnounce' | 'blockInventory' | 'votes' | 'getBlockRange',
  RateQuota
> {
  const txsPerBlock = Math.ceil(genesis.maxBlockBytes / MIN_TX_BYTES);
  const perSec = (2 * txsPerBlock * 1_000) / Math.max(1, genesis.slotMs);
  const burst = Math.max(MAX_TXIDS_PER_MESSAGE, 4 * txsPerBlock);
  const txQuota = { ratePerSec: Math.ceil(perSec), burst };
  return {
    txInventory: atLeast('txInventory', txQuota),
    getTxs: atLeast('getTxs', txQuota),
    txBroadcast: atLeast('txBroadcast', txQuota),
    ...slotRateQuotas(genesis.slotMs),
    votes: votesQuota(genesis.validators?.length ?? 1, genesis.slotMs),
    getBlockRange: blockServeQuota(genesis),
  };
}

/**
 * Blocks a peer may ask for by `getBlockRange`, per second: what serving costs us is bytes
 * (each block is a memory-mapped read and a copy onto the socket, behind the write queue's
 * back-pressure), so a peer may pull `SERVE_FULL_BLOCKS_PER_SLOT` (4) full blocks' worth of
 * bytes per slot, counted in the smallest blocks, since the quota is charged per block asked
 * before any is read. For the defaults (1 MiB blocks, 1 s slots): 4 MiB/s ÷ 252 bytes ≈ 16 600
 * blocks/s, capped at MAX_SERVE_BLOCKS_PER_SEC; burst one second's worth. Never below the
 * registry's floor (200/s, burst 1 000), which let a fresh node sync empty blocks at 0.05× the
 * speed it could validate them. RangeSync paces itself at 90 % of this (ConsensusNode).
 */
export function blockServeQuota(genesis: Pick<GenesisConfig, 'slotMs' | 'maxBlockBytes'>): RateQuota {
  const bytesPerSec =
    (SERVE_FULL_BLOCKS_PER_SLOT * genesis.maxBlockBytes * 1_000) / Math.max(1, genesis.slotMs);
  const ratePerSec = Math.min(MAX_SERVE_BLOCKS_PER_SEC, Math.ceil(bytesPerSec / MIN_BLOCK_BYTES));
  return atLeast('getBlockRange', { ratePerSec, burst: ratePerSec });
}

/**
 * Votes a peer may send: every validator votes twice per block (README 15.4) and each vote
 * crosses each link about once; allow 4 blocks' worth per slot (forks, catch-up after a
 * partition), with a burst of a whole catch-up message, never below the registry's floor.
 */
export function votesQuota(validators: number, slotMs: number): RateQuota {
  const perSec = (4 * 2 * validators * 1_000) / Math.max(1, slotMs);
  return atLeast('votes', {
    ratePerSec: Math.ceil(perSec),
    burst: Math.max(MAX_VOTES_PER_MESSAGE, Math.ceil(4 * perSec)),
  });
}
