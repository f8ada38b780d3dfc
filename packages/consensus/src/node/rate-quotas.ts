import { DEFAULT_RATE_QUOTA, DEFAULT_RATE_QUOTAS, type RateQuota } from '@tc/registry';
import { MAX_TXIDS_PER_MESSAGE, MAX_VOTES_PER_MESSAGE } from '@tc/wire';
import { SIGNATURE_BYTES } from '../bytes.js';
import { CANONICAL_INPUT_BYTES, CANONICAL_OUTPUT_BYTES, CANONICAL_TX_FIXED_BYTES } from '../canonical.js';
import type { GenesisConfig } from '../genesis.js';

/** Consensus size of the smallest possible transaction: one input, one output (200 bytes). */
export const MIN_TX_BYTES =
  CANONICAL_TX_FIXED_BYTES + CANONICAL_INPUT_BYTES + SIGNATURE_BYTES + CANONICAL_OUTPUT_BYTES;

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
 * message of ids. Over it is back-pressure without blame (see the registry README).
 */
export function capacityRateQuotas(
  genesis: Pick<GenesisConfig, 'slotMs' | 'maxBlockBytes'> & { validators?: readonly unknown[] },
): Record<
  'txInventory' | 'getTxs' | 'txBroadcast' | 'blockAnnounce' | 'blockInventory' | 'votes',
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
  };
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
