export {
  CONFIG_FILE_NAME,
  type ConfigInput,
  GENESIS_FILE_NAME,
  KEY_FILE_NAME,
  networkDefaults,
} from './defaults.js';
export { CONFIG_FILE_ENV, ENV_VARS, type EnvKind, type EnvVar, envNameOf } from './env.js';
export { ConfigError, type ConfigErrorCode, type ConfigIssue, formatIssue } from './errors.js';
export { type LoadConfigOptions, type LoadedConfig, loadConfig } from './load.js';
export {
  isLoopbackHost,
  LOG_FORMATS,
  LOG_LEVELS,
  NETWORKS,
  type Network,
  type NodeConfig,
  nodeConfigSchema,
  type ParsedConfig,
} from './schema.js';
