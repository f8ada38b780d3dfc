import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP helpers shared by admission and bans, so every limit keys an address the same way:
 * - IPv4-mapped IPv6 ('::ffff:10.0.0.1', what a dual-stack listener reports) is plain IPv4;
 * - IPv6 is canonical (RFC 5952: lower case, longest zero run compressed), brackets and
 *   zone ids removed;
 * - anything that is not an IP (e.g. an undefined remoteAddress turned into '') is kept as
 *   given, trimmed, and is its own address and its own subnet.
 */

export type IpFamily = 4 | 6 | 0;

export interface ParsedIp {
  /** Canonical text, the key used in every map. */
  readonly address: string;
  readonly family: IpFamily;
  /** The rate-limit subnet: IPv4 /24, IPv6 /64, non-IP: the address itself. */
  readonly subnet: string;
  readonly loopback: boolean;
}

export function parseIp(raw: string): ParsedIp {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIPv4(s)) return ipv4(s);
  if (isIPv6(s)) {
    const groups = ipv6Groups(s.toLowerCase());
    if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
      return ipv4(`${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`);
    }
    const address = compressIpv6(groups);
    const loopback = groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
    return {
      address,
      family: 6,
      subnet: `${compressIpv6([...groups.slice(0, 4), 0, 0, 0, 0])}/64`,
      loopback,
    };
  }
  return { address: s, family: 0, subnet: s, loopback: false };
}

/** Canonical form of an address (see parseIp). */
export function normaliseIp(raw: string): string {
  return parseIp(raw).address;
}

function ipv4(s: string): ParsedIp {
  const parts = s.split('.').map(Number);
  const address = parts.join('.');
  return {
    address,
    family: 4,
    subnet: `${parts[0]}.${parts[1]}.${parts[2]}.0/24`,
    loopback: parts[0] === 127,
  };
}

/** Eight 16-bit groups of a valid IPv6 address (node:net has validated it). */
function ipv6Groups(s: string): number[] {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded IPv4 tail ('::ffff:1.2.3.4'): rewrite it as two hex groups.
    const p = last.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)));
  const gap = text.indexOf('::');
  if (gap < 0) return parse(text);
  const left = parse(text.slice(0, gap));
  const right = parse(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
