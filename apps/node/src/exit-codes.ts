/**
 * Exit codes of `tc-node` (sysexits.h numbers where one fits). Scripts and supervisors can
 * tell a clean stop (0) from a forced one (70) and from a configuration error (78).
 */
export const EXIT_OK = 0;
/** A command failed (RPC error, unreadable key file, ...). */
export const EXIT_FAILURE = 1;
/** Bad command line (unknown option, missing argument). */
export const EXIT_USAGE = 64;
/** A node could not be reached over RPC. */
export const EXIT_UNAVAILABLE = 69;
/** Shutdown was forced: a step timed out or failed, the deadline passed, or a second signal came. */
export const EXIT_FORCED = 70;
/** The configuration is invalid (see ConfigError). */
export const EXIT_CONFIG = 78;
