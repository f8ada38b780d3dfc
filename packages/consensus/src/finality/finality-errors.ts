import type { ErrorActionRule } from '@tc/registry';

/** Why a peer's finality message was refused: each is provable, since a relayer verifies first. */
export type FinalityErrorCode =
  | 'MALFORMED_VOTE'
  | 'INVALID_VOTE'
  | 'INVALID_CERTIFICATE'
  | 'INVALID_EVIDENCE';

/**
 * The peer actions of finality (merged into the registry's error table by the node). Every
 * node checks a vote's signature before it relays it and a certificate's before it serves it,
 * so a bad one came from the sender itself: a ban. Votes that are merely late, early or
 * already known are dropped without blame (README 15.6).
 */
export const FINALITY_ERROR_ACTIONS: Readonly<Record<FinalityErrorCode, ErrorActionRule>> = {
  MALFORMED_VOTE: {
    action: 'ban',
    description: 'a vote with an unknown validator, a wrong field size or a source not below its target',
  },
  INVALID_VOTE: { action: 'ban', description: 'a vote whose signature does not verify' },
  INVALID_CERTIFICATE: {
    action: 'ban',
    description: 'a finality certificate without a quorum or with a bad signature',
  },
  INVALID_EVIDENCE: { action: 'ban', description: 'equivocation evidence that does not prove an offence' },
};
