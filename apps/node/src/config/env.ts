import { z } from 'zod';
import { nodeConfigSchema } from './schema.js';

/** How an environment variable's text becomes a config value. */
export type EnvKind = 'int' | 'bool' | 'list' | 'string';

export interface EnvVar {
  /** Dotted config key, e.g. `rpc.authToken`. */
  readonly key: string;
  /** Environment variable, e.g. `TC_RPC_AUTH_TOKEN`. */
  readonly name: string;
  readonly kind: EnvKind;
}

/** Environment variable naming the config file (not a config key). */
export const CONFIG_FILE_ENV = 'TC_CONFIG';

/** `rpc.authToken` → `TC_RPC_AUTH_TOKEN`: `TC_`, then each segment in SCREAMING_SNAKE_CASE joined by `_`. */
export function envNameOf(key: string): string {
  return `TC_${key
    .split('.')
    .map((seg) => seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

function kindOf(schema: z.ZodType): EnvKind | 'object' {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodObject) return 'object';
  if (s instanceof z.ZodNumber) return 'int';
  if (s instanceof z.ZodBoolean) return 'bool';
  if (s instanceof z.ZodArray) return 'list';
  return 'string';
}

function collect(shape: Record<string, z.ZodType>, prefix: string, out: EnvVar[]): void {
  for (const [name, schema] of Object.entries(shape)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const kind = kindOf(schema);
    if (kind === 'object') collect((schema as z.ZodObject).shape as Record<string, z.ZodType>, key, out);
    else out.push({ key, name: envNameOf(key), kind });
  }
}

/** Every config key and its environment variable, derived from the schema (so they never drift). */
export const ENV_VARS: readonly EnvVar[] = (() => {
  const out: EnvVar[] = [];
  collect(nodeConfigSchema.shape as Record<string, z.ZodType>, '', out);
  return Object.freeze(out);
})();

const BY_NAME = new Map(ENV_VARS.map((v) => [v.name, v]));

/**
 * Converts env text to a value. Text that does not convert is passed through unchanged so the
 * schema reports it (`TC_RPC_PORT = "abc" ... expected an integer`), never silently dropped.
 */
export function convertEnvValue(kind: EnvKind, text: string): unknown {
  const t = text.trim();
  switch (kind) {
    case 'int':
      return /^-?\d{1,16}$/.test(t) ? Number(t) : text;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(t)) return true;
      if (/^(false|0|no|off)$/i.test(t)) return false;
      return text;
    case 'list':
      return t === ''
        ? []
        : t
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
    case 'string':
      return text;
  }
}

export interface EnvLayer {
  /** Values by dotted key. */
  readonly values: Map<string, unknown>;
  /** `TC_*` variables that name no key (reported as warnings, since the environment is shared). */
  readonly unknown: string[];
}

/** Reads every `TC_*` variable of `env`. */
export function readEnv(env: Readonly<Record<string, string | undefined>>): EnvLayer {
  const values = new Map<string, unknown>();
  const unknown: string[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('TC_') || text === undefined || name === CONFIG_FILE_ENV) continue;
    const v = BY_NAME.get(name);
    if (v) values.set(v.key, convertEnvValue(v.kind, text));
    else unknown.push(name);
  }
  return { values, unknown: unknown.sort() };
}
