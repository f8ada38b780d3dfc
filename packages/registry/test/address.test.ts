import { describe, expect, it } from 'vitest';
import { AddressBook } from '../src/address-book.js';
import { formatAddress, parseAddress } from '../src/internal.js';

describe('addresses', () => {
  it('parse and format host:port and [v6]:port', () => {
    expect(parseAddress('127.0.0.1:24000')).toEqual({ host: '127.0.0.1', port: 24000 });
    expect(parseAddress('[::1]:5')).toEqual({ host: '::1', port: 5 });
    expect(formatAddress('::1', 5)).toBe('[::1]:5');
    for (const bad of ['127.0.0.1', '1.2.3.4:0', '1.2.3.4:70000', ':5', '::1:5']) {
      expect(() => parseAddress(bad)).toThrow(RangeError);
    }
  });

  it('the address book is bounded and evicts the worst entry', () => {
    const book = new AddressBook({ maxEntries: 3 });
    for (let i = 1; i <= 3; i++) book.add(`10.0.0.${i}:1`, { lastSeenMs: i });
    book.markFailure('10.0.0.2:1');
    expect(book.add('10.0.0.9:1', { lastSeenMs: 9 })).toBe(true);
    expect(book.size).toBe(3);
    expect(book.get('10.0.0.2:1')).toBeUndefined();
    for (let i = 0; i < 5; i++) book.markFailure('10.0.0.1:1');
    expect(book.get('10.0.0.1:1')).toBeUndefined(); // dropped after maxFailures
    expect(book.add('not an address')).toBe(false);
  });
});
