/** Replaced at build time (tsup, vitest `define`) by package.json's version. */
declare const __TC_NODE_VERSION__: string;

/** The tc-node version (package.json's, fixed at build) and the agent string sent to peers and shown by RPC. */
export const NODE_VERSION: string = __TC_NODE_VERSION__;
export const NODE_AGENT = `tc-node/${NODE_VERSION}`;
