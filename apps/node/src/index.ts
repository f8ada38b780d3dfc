/**
 * @tc/node: the tc-node daemon. The `tc-node` executable is dist/cli.js; this entry is what
 * other packages and tools use: start a node, lay out datadirs and devnets, load its
 * configuration, build and send transactions, talk to its JSON-RPC. README "Public API" lists
 * it; everything else (the HTTP server, logging, shutdown steps, the daemon's seams) is
 * internal and reachable for this package's tests through src/internal.ts.
 */

export {
  createDevnetGenesis,
  type DevnetGenesisOptions,
  type GenesisFile,
  genesisHashHex,
  readGenesisFile,
  writeGenesisFile,
} from './chain/genesis.js';
export {
  addressOfPublicKey,
  type BuildSignedTransaction,
  buildSignedTransaction,
  MAX_TX_INPUTS,
  type SignedTransaction,
  TxBuildError,
  type TxBuildErrorCode,
  type TxSendRequest,
} from './chain/seams.js';
export { type InitOptions, type InitResult, initDatadir } from './commands/init.js';
export { buildProgram } from './commands/program.js';
export {
  CONFIG_FILE_NAME,
  ConfigError,
  type ConfigErrorCode,
  type ConfigInput,
  type ConfigIssue,
  GENESIS_FILE_NAME,
  KEY_FILE_NAME,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  type Network,
  type NodeConfig,
  networkDefaults,
} from './config/index.js';
export { NODE_VERSION, type RunNodeOptions, type RunningNode, runNode } from './daemon/run-node.js';
export { type DevnetNode, freePort, type LayoutOptions, layoutDevnet } from './devnet/nodes.js';
export { type DevnetOptions, type DevnetSummary, runDevnet } from './devnet/supervisor.js';
export {
  EXIT_CONFIG,
  EXIT_FAILURE,
  EXIT_FORCED,
  EXIT_OK,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
} from './exit-codes.js';
export {
  generateNodeKey,
  KeyFileError,
  type KeyFileErrorCode,
  type NodeKey,
  readKeyFile,
  toHex,
  writeKeyFile,
} from './keys.js';
export type {
  AddNodeCommand,
  BalanceInfo,
  BanEntry,
  BlockArrivalView,
  BlockchainInfo,
  BlockRef,
  BlockView,
  EvidenceView,
  MempoolInfo,
  NetworkInfo,
  NodeApi,
  PeerInfo,
  SetBanCommand,
  SyncInfo,
  SyncState,
  TransactionView,
  TxInputView,
  TxOutputView,
  UnspentOutput,
} from './rpc/api.js';
export { RpcCallError, RpcClient, type RpcClientOptions, RpcUnavailableError, rpcUrl } from './rpc/client.js';
export { RPC_ERRORS, RpcError, type RpcErrorName, type RpcErrorObject } from './rpc/errors.js';
