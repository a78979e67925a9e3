import { describe, expect, test } from 'vitest';
import { cidrContains, cidrDifference, cidrsOverlap, formatCidr, formatIP, parseCidr, parseIP } from './ip.js';

const cidr = (t: string) => parseCidr(t)!;

describe('ip', () => {
  test('parses and formats IPv4 and IPv6', () => {
    for (const t of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '::', '::1', 'fd00::1:2', '2001:db8::', '1:2:3:4:5:6:7:8']) {
      expect(formatIP(parseIP(t)!)).toBe(t);
    }
    expect(formatIP(parseIP('2001:0db8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIP(parseIP('::ffff:10.1.2.3')!)).toBe('::ffff:a01:203');
  });

  test('rejects malformed addresses', () => {
    for (const t of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.x', ':::', '1::2::3', '12345::', 'g::1', ' 1.2.3.4']) {
      expect(parseIP(t), t).toBeUndefined();
    }
    for (const t of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/08', 'fd00::/129']) expect(parseCidr(t), t).toBeUndefined();
    expect(parseCidr('10.0.0.1/24', true)).toBeUndefined();
    expect(formatCidr(cidr('10.0.0.1/24'))).toBe('10.0.0.0/24');
  });

  test('containment and overlap', () => {
    expect(cidrContains(cidr('10.10.0.0/16'), parseIP('10.10.200.1')!)).toBe(true);
    expect(cidrContains(cidr('10.10.0.0/16'), parseIP('10.11.0.1')!)).toBe(false);
    expect(cidrContains(cidr('10.10.0.0/16'), parseIP('::1')!)).toBe(false);
    expect(cidrsOverlap(cidr('10.0.0.0/8'), cidr('10.1.0.0/16'))).toBe(true);
    expect(cidrsOverlap(cidr('10.0.0.0/16'), cidr('10.1.0.0/16'))).toBe(false);
  });

  test('CIDR difference is the minimal cover of what remains', () => {
    const diff = (c: string, holes: string[]) => cidrDifference(cidr(c), holes.map(cidr)).map(formatCidr);
    expect(diff('10.0.0.0/24', [])).toEqual(['10.0.0.0/24']);
    expect(diff('10.0.0.0/24', ['10.0.0.0/24'])).toEqual([]);
    expect(diff('10.0.0.0/24', ['10.0.0.0/8'])).toEqual([]);
    expect(diff('10.0.0.0/24', ['10.0.0.128/25'])).toEqual(['10.0.0.0/25']);
    expect(diff('10.0.0.0/24', ['10.0.0.5/32'])).toEqual([
      '10.0.0.0/30', '10.0.0.4/32', '10.0.0.6/31', '10.0.0.8/29', '10.0.0.16/28', '10.0.0.32/27', '10.0.0.64/26', '10.0.0.128/25',
    ]);
    expect(diff('0.0.0.0/0', ['128.0.0.0/1'])).toEqual(['0.0.0.0/1']);
    expect(diff('fd00::/126', ['fd00::1/128'])).toEqual(['fd00::/128', 'fd00::2/127']);
    expect(diff('10.0.0.0/24', ['192.168.0.0/16'])).toEqual(['10.0.0.0/24']);
  });
});
