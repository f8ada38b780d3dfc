import { pb } from './message.js';

/**
 * Values of `ErrorReply.code` (the `ErrorCode` enum of wire.proto), by name. Unknown codes
 * from newer peers arrive as plain numbers; `errorReplyCodeName` returns undefined for them.
 */
export const ERROR_REPLY_CODES = {
  INTERNAL: pb.ErrorCode.ERROR_CODE_INTERNAL,
  RATE_LIMITED: pb.ErrorCode.ERROR_CODE_RATE_LIMITED,
  UNSUPPORTED: pb.ErrorCode.ERROR_CODE_UNSUPPORTED,
  INVALID_REQUEST: pb.ErrorCode.ERROR_CODE_INVALID_REQUEST,
  NOT_FOUND: pb.ErrorCode.ERROR_CODE_NOT_FOUND,
  BUSY: pb.ErrorCode.ERROR_CODE_BUSY,
  SHUTTING_DOWN: pb.ErrorCode.ERROR_CODE_SHUTTING_DOWN,
} as const;

export type ErrorReplyCodeName = keyof typeof ERROR_REPLY_CODES;

const namesByCode = new Map<number, ErrorReplyCodeName>(
  (Object.entries(ERROR_REPLY_CODES) as [ErrorReplyCodeName, number][]).map(([name, code]) => [code, name]),
);

/** Name of an ErrorReply code, or undefined for a code this build does not know. */
export function errorReplyCodeName(code: number): ErrorReplyCodeName | undefined {
  return namesByCode.get(code);
}
