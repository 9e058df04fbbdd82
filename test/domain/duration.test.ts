import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, toIsoDuration } from '../../src/domain/duration.js';

describe('parseDuration', () => {
  it.each([
    ['1m', 1],
    ['30m', 30],
    ['1h', 60],
    ['1h30m', 90],
    ['2d', 2880],
    ['1d2h3m', 1563],
    [' 45m ', 45],
    ['90m', 90],
  ])('reads %s as %i minutes', (text, minutes) => {
    expect(parseDuration(text)).toEqual({ ok: true, minutes });
  });

  it.each([
    ['90x', '"90x" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    ['', '"" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    ['1.5h', '"1.5h" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    ['30m1h', '"30m1h" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    ['-5m', '"-5m" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
    ['0m', '"0m" is shorter than the smallest duration, 1m'],
    ['60', '"60" is not a duration; write durations like 30m, 1h, 1h30m or 2d'],
  ])('refuses %j', (text, error) => {
    expect(parseDuration(text)).toEqual({ ok: false, error });
  });
});

describe('formatDuration and toIsoDuration', () => {
  it.each([
    [1, '1m', 'PT1M'],
    [30, '30m', 'PT30M'],
    [60, '1h', 'PT1H'],
    [90, '1h30m', 'PT1H30M'],
    [1440, '1d', 'P1D'],
    [1563, '1d2h3m', 'P1DT2H3M'],
  ])('writes %i minutes as %s and %s', (minutes, written, iso) => {
    expect(formatDuration(minutes)).toBe(written);
    expect(toIsoDuration(minutes)).toBe(iso);
  });

  it('round-trips every written form it produces', () => {
    for (let minutes = 1; minutes <= 3000; minutes += 7) {
      expect(parseDuration(formatDuration(minutes))).toEqual({ ok: true, minutes });
    }
  });
});
