/**
 * The batching window of vote and transaction relay for a chain's slot: a tenth of the slot,
 * 20–100 ms. Votes for one block, and copies of one transaction from several peers, arrive
 * within a few hundred ms, so a longer window packs more into one message per peer and lets
 * the announcements of peers that were faster reach us first (we then skip them); a tenth of a
 * slot per hop keeps finality and inclusion within the slot's own pace.
 */
export function gossipWindowFor(slotMs: number): number {
  return Math.min(100, Math.max(20, Math.round(slotMs / 10)));
}
