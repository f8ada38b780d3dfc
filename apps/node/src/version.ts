/** The tc-node version (package.json) and the agent string sent to peers and shown by RPC. */
export const NODE_VERSION = '0.1.0';
export const NODE_AGENT = `tc-node/${NODE_VERSION}`;
