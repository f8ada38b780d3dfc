import { describe, expect, it } from 'vitest';
import { EventLoopLagMonitor } from '../../src/lag-monitor.js';
import type { Logger } from '../../src/logger.js';
import { PeerPolicy } from '../../src/peer-policy.js';
import { BanList, ErrorActionTable, PeerScoreBook } from '../../src/peer-score/index.js';

function setup() {
  const lines: { level: string; msg: string; code?: string }[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, msg: msg ?? '', code: (obj as { code?: string }).code });
    };
  const logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  } as unknown as Logger;
  const closed: string[] = [];
  const policy = new PeerPolicy({
    table: new ErrorActionTable({
      SCORED: { action: 'score', scoreDelta: -30 },
      NUDGE: { action: 'score', scoreDelta: -25 },
    }),
    scores: new PeerScoreBook({ disconnectBelow: -20, banBelow: -50 }),
    bans: new BanList(),
    lag: new EventLoopLagMonitor({ lagThresholdMs: 100 }),
    metrics: undefined,
    logger,
    closePeer: (peerId, reason) => closed.push(`${peerId}:${reason}`),
  });
  return { policy, lines, closed };
}

describe('PeerPolicy logging', () => {
  it('logs a ban even right after a logged penalty of the same peer (the per-peer limiter)', () => {
    const { policy, lines, closed } = setup();
    const offender = { peerId: 'ab'.repeat(32), ip: '10.0.0.1' };
    expect(policy.penalize(offender, 'SCORED', 'first').action).toBe('disconnect');
    expect(policy.penalize(offender, 'SCORED', 'second').action).toBe('ban');
    expect(lines.map((l) => l.msg)).toEqual(['peer disconnected', 'peer banned']);
    expect(lines[1]!.level).toBe('warn');
    expect(closed).toHaveLength(2);
  });

  it('rate-limits the other lines to one per peer per window', () => {
    const { policy, lines } = setup();
    const peer = { peerId: 'cd'.repeat(32), ip: '10.0.0.2' };
    expect(policy.penalize(peer, 'NUDGE', 'one').action).toBe('disconnect'); // -25: logged
    expect(policy.penalize(peer, 'NUDGE', 'two').action).toBe('disconnect'); // -50: same window
    policy.penalize({ ...peer, peerId: 'ef'.repeat(32) }, 'NUDGE', 'another peer'); // its own line
    expect(lines.filter((l) => l.msg === 'peer disconnected')).toHaveLength(2);
  });
});
