import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AdmissionLimits,
  type AdmissionOptions,
  ConnectionAdmission,
  DEFAULT_ADMISSION_LIMITS,
  parseIp,
} from '../../src/admission/index.js';

const HIGH: AdmissionLimits = {
  maxInbound: 1000,
  maxOutbound: 1000,
  maxPerIp: 1000,
  inboundPer24PerMinute: 1000,
  maxPendingInbound: 1000,
};

function admission(limits: Partial<AdmissionLimits> = {}, opts: AdmissionOptions = {}) {
  let t = 0;
  const a = new ConnectionAdmission({ ...HIGH, ...limits }, { now: () => t, ...opts });
  return {
    a,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('parseIp', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3', 4, '10.1.2.0/24', false],
    ['::ffff:10.1.2.3', '10.1.2.3', 4, '10.1.2.0/24', false],
    ['::FFFF:7f00:1', '127.0.0.1', 4, '127.0.0.0/24', true],
    ['127.5.0.1', '127.5.0.1', 4, '127.5.0.0/24', true],
    ['::1', '::1', 6, '::/64', true],
    ['[2001:DB8:0:0:1:0:0:1]', '2001:db8::1:0:0:1', 6, '2001:db8::/64', false],
    ['2001:db8:aaaa:bbbb:1::2', '2001:db8:aaaa:bbbb:1::2', 6, '2001:db8:aaaa:bbbb::/64', false],
    ['fe80::1%eth0', 'fe80::1', 6, 'fe80::/64', false],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3', 6, '1:0:0:2::/64', false],
    ['not-an-ip', 'not-an-ip', 0, 'not-an-ip', false],
  ] as const)('%s → %s', (raw, address, family, subnet, loopback) => {
    expect(parseIp(raw)).toEqual({ address, family, subnet, loopback });
  });

  it('property: canonical IPv6 text round-trips through parseIp unchanged', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const once = parseIp(ip);
        if (once.family === 4) return parseIp(once.address).address === once.address;
        return once.family === 6 && parseIp(once.address).address === once.address;
      }),
      { numRuns: 500 },
    );
  });
});

describe('ConnectionAdmission', () => {
  it('has documented defaults and validates limits', () => {
    expect(new ConnectionAdmission().limits).toEqual(DEFAULT_ADMISSION_LIMITS);
    expect(() => new ConnectionAdmission({ maxInbound: -1 })).toThrow(RangeError);
    expect(() => new ConnectionAdmission({ maxPerIp: 1.5 })).toThrow(RangeError);
  });

  it('tracks the inbound lifecycle: pending → established → released', () => {
    const { a } = admission();
    expect(a.tryAcceptInbound('10.0.0.1')).toEqual({ ok: true });
    expect(a.counts()).toEqual({ inbound: 0, outbound: 0, pendingInbound: 1, pendingOutbound: 0 });
    a.promote('10.0.0.1', 'inbound');
    expect(a.counts()).toMatchObject({ inbound: 1, pendingInbound: 0 });
    a.release('10.0.0.1', 'inbound', true);
    expect(a.counts()).toMatchObject({ inbound: 0, pendingInbound: 0 });
    expect(a.connectionsFrom('10.0.0.1')).toBe(0);
  });

  it('caps pending handshakes, then inbound total (pending included)', () => {
    const { a } = admission({ maxPendingInbound: 2, maxInbound: 3 });
    expect(a.tryAcceptInbound('10.0.0.1').ok).toBe(true);
    expect(a.tryAcceptInbound('10.0.1.1').ok).toBe(true);
    expect(a.tryAcceptInbound('10.0.2.1')).toEqual({ ok: false, reason: 'too-many-pending' });
    a.promote('10.0.0.1', 'inbound');
    expect(a.tryAcceptInbound('10.0.2.1').ok).toBe(true);
    a.promote('10.0.1.1', 'inbound');
    expect(a.tryAcceptInbound('10.0.3.1')).toEqual({ ok: false, reason: 'too-many-inbound' });
    a.release('10.0.2.1', 'inbound', false); // handshake failed
    expect(a.tryAcceptInbound('10.0.3.1').ok).toBe(true);
  });

  it('caps outbound slots, dials in progress included', () => {
    const { a } = admission({ maxOutbound: 2 });
    expect(a.tryReserveOutbound('10.0.0.1').ok).toBe(true);
    expect(a.tryReserveOutbound('10.0.0.2').ok).toBe(true);
    expect(a.tryReserveOutbound('10.0.0.3')).toEqual({ ok: false, reason: 'too-many-outbound' });
    a.promote('10.0.0.1', 'outbound');
    expect(a.counts()).toMatchObject({ outbound: 1, pendingOutbound: 1 });
    a.release('10.0.0.2', 'outbound', false);
    expect(a.tryReserveOutbound('10.0.0.3').ok).toBe(true);
  });

  it('caps connections per IP across both directions; IPv4-mapped counts as IPv4', () => {
    const { a } = admission({ maxPerIp: 2 });
    expect(a.tryAcceptInbound('10.0.0.1').ok).toBe(true);
    expect(a.tryReserveOutbound('::ffff:10.0.0.1').ok).toBe(true);
    expect(a.tryAcceptInbound('10.0.0.1')).toEqual({ ok: false, reason: 'too-many-per-ip' });
    expect(a.tryReserveOutbound('10.0.0.1')).toEqual({ ok: false, reason: 'too-many-per-ip' });
    expect(a.connectionsFrom('::ffff:10.0.0.1')).toBe(2);
  });

  it('rate-limits new inbound connections per /24 (IPv4) and /64 (IPv6)', () => {
    const { a, advance } = admission({ inboundPer24PerMinute: 3 });
    for (const host of [1, 2, 3]) expect(a.tryAcceptInbound(`192.168.7.${host}`).ok).toBe(true);
    expect(a.tryAcceptInbound('192.168.7.4')).toEqual({ ok: false, reason: 'subnet-rate' });
    expect(a.tryAcceptInbound('192.168.8.1').ok).toBe(true); // another /24
    advance(20_000); // one connection's worth of credit (3 per 60 s)
    expect(a.tryAcceptInbound('192.168.7.5').ok).toBe(true);
    expect(a.tryAcceptInbound('192.168.7.6').ok).toBe(false);
    for (const host of [1, 2, 3]) expect(a.tryAcceptInbound(`2001:db8:1:2::${host}`).ok).toBe(true);
    expect(a.tryAcceptInbound('2001:db8:1:2:ffff::9')).toEqual({ ok: false, reason: 'subnet-rate' });
    expect(a.tryAcceptInbound('2001:db8:1:3::1').ok).toBe(true); // another /64
  });

  it('inboundPer24PerMinute = 0 refuses every non-exempt inbound connection', () => {
    const { a } = admission({ inboundPer24PerMinute: 0 }, { exemptLoopback: true });
    expect(a.tryAcceptInbound('10.0.0.1')).toEqual({ ok: false, reason: 'subnet-rate' });
    expect(a.tryAcceptInbound('127.0.0.1').ok).toBe(true);
  });

  it('refuses banned addresses both ways, by canonical address', () => {
    const seen: string[] = [];
    const { a } = admission(
      {},
      {
        isBanned: (ip) => {
          seen.push(ip);
          return ip === '10.9.9.9';
        },
      },
    );
    expect(a.tryAcceptInbound('::ffff:10.9.9.9')).toEqual({ ok: false, reason: 'banned' });
    expect(a.tryReserveOutbound('10.9.9.9')).toEqual({ ok: false, reason: 'banned' });
    expect(seen).toEqual(['10.9.9.9', '10.9.9.9']);
    expect(a.counts()).toEqual({ inbound: 0, outbound: 0, pendingInbound: 0, pendingOutbound: 0 });
  });

  it('loopback is limited by default; exemptLoopback lifts per-IP and subnet limits only', () => {
    const strict = admission({ maxPerIp: 1, inboundPer24PerMinute: 1 }).a;
    expect(strict.tryAcceptInbound('127.0.0.1').ok).toBe(true);
    expect(strict.tryAcceptInbound('127.0.0.1').ok).toBe(false);
    const { a } = admission(
      { maxPerIp: 1, inboundPer24PerMinute: 1, maxInbound: 50, maxPendingInbound: 50 },
      { exemptLoopback: true },
    );
    for (let i = 0; i < 50; i++) expect(a.tryAcceptInbound('127.0.0.1').ok).toBe(true);
    expect(a.tryAcceptInbound('::1')).toEqual({ ok: false, reason: 'too-many-pending' });
  });

  it('isExempt lifts per-IP and subnet limits for chosen addresses', () => {
    const { a } = admission(
      { maxPerIp: 1, inboundPer24PerMinute: 1 },
      { isExempt: (ip) => ip === '10.0.0.7' },
    );
    for (let i = 0; i < 5; i++) expect(a.tryAcceptInbound('10.0.0.7').ok).toBe(true);
    // Exempt connections did not spend the /24 budget; the others share it.
    expect(a.tryAcceptInbound('10.0.0.8').ok).toBe(true);
    expect(a.tryAcceptInbound('10.0.0.9')).toEqual({ ok: false, reason: 'subnet-rate' });
  });

  it('unmatched promote/release calls never drive counters negative', () => {
    const { a } = admission();
    a.release('10.0.0.1', 'inbound', true);
    a.release('10.0.0.1', 'outbound', false);
    a.promote('10.0.0.1', 'inbound');
    expect(a.counts()).toEqual({ inbound: 0, outbound: 0, pendingInbound: 0, pendingOutbound: 0 });
    expect(a.unmatchedCalls()).toBe(3);
  });

  it('property: counters match the slots granted and never exceed the limits', () => {
    const limits = {
      maxInbound: 6,
      maxOutbound: 4,
      maxPerIp: 2,
      inboundPer24PerMinute: 1000,
      maxPendingInbound: 3,
    };
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '::1', '2001:db8::1'];
    type Slot = { ip: string; dir: 'inbound' | 'outbound'; established: boolean };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...ips), fc.nat()), {
          maxLength: 200,
        }),
        (ops) => {
          const { a } = admission(limits);
          const held: Slot[] = [];
          for (const [op, ip, pick] of ops) {
            if (op === 0 && a.tryAcceptInbound(ip).ok) held.push({ ip, dir: 'inbound', established: false });
            if (op === 1 && a.tryReserveOutbound(ip).ok)
              held.push({ ip, dir: 'outbound', established: false });
            const slot = held.length > 0 ? held[pick % held.length]! : undefined;
            if (op === 2 && slot && !slot.established) {
              a.promote(slot.ip, slot.dir);
              slot.established = true;
            }
            if (op === 3 && slot) {
              a.release(slot.ip, slot.dir, slot.established);
              held.splice(held.indexOf(slot), 1);
            }
            const count = (dir: string, est: boolean) =>
              held.filter((s) => s.dir === dir && s.established === est).length;
            const c = a.counts();
            if (c.inbound !== count('inbound', true) || c.pendingInbound !== count('inbound', false))
              return false;
            if (c.outbound !== count('outbound', true) || c.pendingOutbound !== count('outbound', false))
              return false;
            if (c.inbound + c.pendingInbound > limits.maxInbound) return false;
            if (c.pendingInbound > limits.maxPendingInbound) return false;
            if (c.outbound + c.pendingOutbound > limits.maxOutbound) return false;
            for (const ip2 of ips) {
              const n = held.filter((s) => parseIp(s.ip).address === parseIp(ip2).address).length;
              if (a.connectionsFrom(ip2) !== n || n > limits.maxPerIp) return false;
            }
          }
          return a.unmatchedCalls() === 0;
        },
      ),
      { numRuns: 200 },
    );
  });
});
