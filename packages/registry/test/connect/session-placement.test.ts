import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Attempt } from '../../src/connect/attempt.js';
import { type PlacementEnv, SessionPlacement } from '../../src/connect/session-placement.js';
import type { Session } from '../../src/session.js';

// SessionPlacement on stub sessions and attempts and fake timers: the dedup decision, parking
// on our own racing dials (bounded by dedupHoldMs), activation and teardown.

const LOCAL = 'bb'.repeat(32);
const PEER = 'cc'.repeat(32);
let generation = 0;

interface StubSession {
  peerId: string;
  generation: number;
  dedupKey: string;
  direction: 'inbound' | 'outbound';
  address: string;
  dialable: boolean;
  waitStartedAt: number | undefined;
  state: Session['state'];
  connectedAtMs?: number;
  connection: {
    writable: boolean;
    pause: ReturnType<typeof vi.fn>;
    resume: ReturnType<typeof vi.fn>;
    close: ReturnType<typeof vi.fn>;
  };
  request: ReturnType<typeof vi.fn>;
}

function session(dedupKey: string, extra: Partial<StubSession> = {}): Session {
  const s: StubSession = {
    peerId: PEER,
    generation: ++generation,
    dedupKey,
    direction: 'inbound',
    address: '127.0.0.1:1',
    dialable: false,
    waitStartedAt: Date.now(),
    state: 'parked',
    connection: { writable: true, pause: vi.fn(), resume: vi.fn(), close: vi.fn() },
    request: vi.fn(() => new Promise(() => {})),
    ...extra,
  };
  return s as unknown as Session;
}

/** Our own dial to PEER, in its handshake with `nonce` (it races any session to PEER). */
function ownDial(nonceHex: string): Attempt {
  return {
    races: (peerId: string) => peerId === PEER,
    waiters: new Set<Session>(),
    heldInbound: new Set<Attempt>(),
    holdFor: new Set<Attempt>(),
    handshake: { localNonce: Buffer.from(nonceHex, 'hex') },
  } as unknown as Attempt;
}

function placement(attempts: Attempt[] = []) {
  const active: Session[] = [];
  const ended: { session: Session; reason: string; wasActive: boolean }[] = [];
  const env: PlacementEnv = {
    localId: LOCAL,
    metrics: undefined,
    wireLimits: { maxFrameBytes: 1 << 20 } as unknown as PlacementEnv['wireLimits'],
    handshakeTimeoutMs: 5_000,
    dedupHoldMs: 300,
    attempts: () => attempts,
    refuseHeld: () => {},
    completeHeld: () => {},
    onActive: (s) => active.push(s),
    onEnded: (s, reason, wasActive) => ended.push({ session: s, reason, wasActive }),
  };
  return { p: new SessionPlacement(env), active, ended };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SessionPlacement (stubs, fake timers)', () => {
  it('a lone session becomes the active one for its peer', () => {
    const { p, active } = placement();
    const s = session(`${'dd'.repeat(32)}:01`);
    p.decide(s, true);
    expect(s.state).toBe('active');
    expect(active).toEqual([s]);
    expect(p.table.get(PEER)).toBe(s);
  });

  it('of two sessions to one peer the preferred survives; the other is closed with DUPLICATE', () => {
    const { p, active, ended } = placement();
    const lower = session(`${'aa'.repeat(32)}:01`);
    const higher = session(`${'dd'.repeat(32)}:01`);
    p.decide(higher, false);
    p.decide(lower, false);
    expect(p.table.get(PEER)).toBe(lower);
    expect(higher.state).toBe('closed');
    expect(ended).toEqual([{ session: higher, reason: 'duplicate', wasActive: true }]);
    // The loser got a Disconnect frame on its way out.
    expect((higher.connection.close as ReturnType<typeof vi.fn>).mock.calls[0]?.[0]).toBeInstanceOf(
      Uint8Array,
    );
    expect(active).toEqual([higher, lower]);
  });

  it('parks a session while our own dial that could beat it is in its handshake, and activates it when that dial ends', () => {
    // Our dial's key (LOCAL:00…) sorts below the inbound session's key: it could win.
    const dial = ownDial('00');
    const { p, active } = placement([dial]);
    const s = session(`${'dd'.repeat(32)}:01`);
    p.decide(s, true);
    expect(s.state).toBe('parked');
    expect(s.connection.pause).toHaveBeenCalledWith('parked');
    expect(active).toEqual([]);
    expect(dial.waiters.has(s)).toBe(true);
    p.attemptEnded(dial);
    expect(s.state).toBe('active');
    expect(s.connection.resume).toHaveBeenCalledWith('parked');
    expect(active).toEqual([s]);
    expect(dial.waiters.size).toBe(0);
  });

  it('a park ends after what is left of dedupHoldMs, and the session goes live', () => {
    const dial = ownDial('00');
    const { p, active } = placement([dial]);
    const s = session(`${'dd'.repeat(32)}:01`, { waitStartedAt: Date.now() - 100 });
    p.decide(s, true);
    expect(s.state).toBe('parked');
    vi.advanceTimersByTime(199);
    expect(s.state).toBe('parked');
    vi.advanceTimersByTime(1);
    expect(s.state).toBe('active');
    expect(active).toEqual([s]);
    expect(dial.waiters.has(s)).toBe(false);
  });

  it('a dial that cannot win delays nothing; a session past its hold is not parked', () => {
    const cannotWin = { ...ownDial('00'), handshake: undefined } as unknown as Attempt;
    const { p } = placement([cannotWin]);
    // Before its TCP connect our dial's key is LOCAL: …, which sorts above an 'aa…' dialer.
    const s = session(`${'aa'.repeat(32)}:01`);
    p.decide(s, true);
    expect(s.state).toBe('active');
    const late = placement([ownDial('00')]);
    const old = session(`${'dd'.repeat(32)}:02`, { waitStartedAt: Date.now() - 1_000 });
    late.p.decide(old, true);
    expect(old.state).toBe('active');
  });

  it('endSession is idempotent, reports once, and rejects the dials waiting for that peer only', () => {
    const dial = ownDial('00');
    const { p, ended } = placement([dial]);
    const s = session(`${'dd'.repeat(32)}:01`);
    p.decide(s, true); // parked on our dial
    const forPeer = { resolve: vi.fn(), reject: vi.fn() };
    const forOther = { resolve: vi.fn(), reject: vi.fn() };
    p.waitForActive(PEER, forPeer);
    p.waitForActive('ee'.repeat(32), forOther);
    p.endSession(s, 'socket-closed', undefined);
    p.endSession(s, 'socket-closed', undefined);
    expect(ended).toEqual([{ session: s, reason: 'socket-closed', wasActive: false }]);
    expect(s.connection.close).toHaveBeenCalledTimes(1);
    expect(forPeer.reject).toHaveBeenCalledTimes(1);
    expect(forPeer.resolve).not.toHaveBeenCalled();
    expect(forOther.reject).not.toHaveBeenCalled();
    // Its park ended with it: the timer no longer fires, the dial no longer holds it.
    expect(dial.waiters.has(s)).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(ended).toHaveLength(1);
  });
});
