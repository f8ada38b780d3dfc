import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EventLoopLagMonitor } from '../../src/lag-monitor.js';
import { createRegistryMetrics } from '../../src/metrics.js';
import {
  BanList,
  DEFAULT_SCORE_BAN_MS,
  ErrorActionTable,
  ipBanKey,
  nodeBanKey,
  PeerScoreBook,
  penalizePeer,
} from '../../src/peer-score/index.js';

function setup(overrides?: ConstructorParameters<typeof ErrorActionTable>[0]) {
  let t = 0;
  const now = () => t;
  const lagMonitor = new EventLoopLagMonitor({ resolutionMs: 10, lagThresholdMs: 100, now });
  const register = new Registry();
  const ctx = {
    metrics: createRegistryMetrics(register),
    table: new ErrorActionTable(overrides),
    scores: new PeerScoreBook({ now }),
    bans: new BanList({ now }),
    lagMonitor,
  };
  return {
    ctx,
    register,
    lagMonitor,
    advance: (ms: number) => {
      t += ms;
    },
    now,
  };
}

describe('penalizePeer', () => {
  it('ignore rules change nothing', () => {
    const { ctx } = setup();
    expect(penalizePeer(ctx, 'aa', 'UNKNOWN_KIND')).toEqual({
      code: 'UNKNOWN_KIND',
      action: 'ignore',
      scoreDelta: 0,
      score: 0,
      excused: false,
    });
    expect(ctx.scores.size()).toBe(0);
  });

  it('score rules add their delta and escalate through the score thresholds', () => {
    const { ctx } = setup();
    const actions: string[] = [];
    for (let i = 0; i < 6; i++) actions.push(penalizePeer(ctx, 'aa', 'INVALID_RESPONSE').action);
    // −10 each: −30 is below −20 → disconnect; −60 is below −50 → ban (score-driven length).
    expect(actions).toEqual(['score', 'score', 'disconnect', 'disconnect', 'disconnect', 'ban']);
    const last = penalizePeer(ctx, 'aa', 'INVALID_RESPONSE');
    expect(last).toMatchObject({ action: 'ban', banMs: DEFAULT_SCORE_BAN_MS, score: -70 });
    expect(ctx.bans.isBanned(nodeBanKey('aa'))).toBe(true);
  });

  it('ban rules ban for their own duration on the given keys', () => {
    const { ctx } = setup();
    const d = penalizePeer(ctx, 'AB', 'FRAME_TOO_LARGE', {
      banKeys: [nodeBanKey('AB'), ipBanKey('10.0.0.1')],
    });
    expect(d).toMatchObject({ action: 'ban', banMs: 30 * 60_000, score: -100 });
    expect(ctx.bans.isBanned('node:ab')).toBe(true);
    expect(ctx.bans.isBanned('ip:10.0.0.1')).toBe(true);
  });

  it('slow peers are disconnected, never banned, however often', () => {
    const { ctx } = setup();
    for (let i = 0; i < 50; i++) {
      expect(penalizePeer(ctx, 'aa', 'QUEUE_OVERFLOW').action).toBe('disconnect');
      expect(penalizePeer(ctx, 'aa', 'TOO_SLOW').action).toBe('disconnect');
    }
    expect(ctx.bans.size()).toBe(0);
    expect(ctx.scores.score('aa')).toBe(0);
  });

  it('repeated disconnect offences accumulate to a ban across reconnects', () => {
    const { ctx } = setup();
    expect(penalizePeer(ctx, 'aa', 'MALFORMED_FRAME').action).toBe('disconnect');
    ctx.scores.forget('aa');
    expect(penalizePeer(ctx, 'aa', 'MALFORMED_FRAME').action).toBe('disconnect');
    ctx.scores.forget('aa');
    expect(penalizePeer(ctx, 'aa', 'MALFORMED_FRAME').action).toBe('ban');
  });

  it('excuses a timeout that overlapped our own event-loop lag (where a table scores timeouts)', () => {
    const { ctx, lagMonitor, advance, now } = setup({ REQUEST_TIMEOUT: { action: 'score', scoreDelta: -2 } });
    lagMonitor.tick();
    const started = now();
    advance(10);
    lagMonitor.tick(); // on time
    expect(penalizePeer(ctx, 'aa', 'REQUEST_TIMEOUT', { timeoutStartedAt: started })).toMatchObject({
      action: 'score',
      excused: false,
    });
    const started2 = now();
    advance(500); // the loop stalled: the next tick is 490 ms late
    lagMonitor.tick();
    expect(penalizePeer(ctx, 'bb', 'REQUEST_TIMEOUT', { timeoutStartedAt: started2 })).toMatchObject({
      action: 'ignore',
      excused: true,
    });
    expect(ctx.scores.score('bb')).toBe(0);
  });

  it('unknown codes from later packages cost a little; overrides apply', () => {
    const { ctx } = setup({ INVALID_BLOCK: { action: 'ban', banMs: 1000 } });
    expect(penalizePeer(ctx, 'aa', 'NEVER_HEARD_OF_IT')).toMatchObject({ action: 'score', scoreDelta: -1 });
    expect(penalizePeer(ctx, 'bb', 'INVALID_BLOCK')).toMatchObject({ action: 'ban', banMs: 1000 });
  });

  it('counts every decision in the metrics when given', async () => {
    const { ctx, register, lagMonitor, advance, now } = setup();
    penalizePeer(ctx, 'aa', 'UNKNOWN_KIND');
    penalizePeer(ctx, 'aa', 'FRAME_TOO_LARGE');
    lagMonitor.tick();
    const started = now();
    advance(500);
    penalizePeer(ctx, 'bb', 'REQUEST_TIMEOUT', { timeoutStartedAt: started });
    const text = await register.metrics();
    expect(text).toContain('tc_registry_peer_actions_total{code="UNKNOWN_KIND",action="ignore"} 1');
    expect(text).toContain('tc_registry_peer_actions_total{code="FRAME_TOO_LARGE",action="ban"} 1');
    expect(text).toContain('tc_registry_peer_actions_total{code="REQUEST_TIMEOUT",action="ignore"} 1');
    expect(text).toContain('tc_registry_excused_timeouts_total{code="REQUEST_TIMEOUT"} 1');
    expect(text).toContain('tc_registry_bans_total{reason="FRAME_TOO_LARGE"} 1');
  });
});
