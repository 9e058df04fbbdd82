// Durations are whole minutes. The written form is `2d`, `1h30m`, `45m`: days, hours and minutes in that order.

export type DurationParse = { ok: true; minutes: number } | { ok: false; error: string };

const MINUTES_PER_HOUR = 60;
const MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR;
const WRITTEN_FORM = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

export const DURATION_HINT = 'write durations like 30m, 1h, 1h30m or 2d';

export function parseDuration(text: string): DurationParse {
  const match = WRITTEN_FORM.exec(text.trim());
  if (!match || text.trim() === '') {
    return { ok: false, error: `"${text}" is not a duration; ${DURATION_HINT}` };
  }
  const [, days = '0', hours = '0', minutes = '0'] = match;
  const total = Number(days) * MINUTES_PER_DAY + Number(hours) * MINUTES_PER_HOUR + Number(minutes);
  if (total < 1) {
    return { ok: false, error: `"${text}" is shorter than the smallest duration, 1m` };
  }
  return { ok: true, minutes: total };
}

function splitMinutes(minutes: number): { days: number; hours: number; rest: number } {
  return {
    days: Math.floor(minutes / MINUTES_PER_DAY),
    hours: Math.floor((minutes % MINUTES_PER_DAY) / MINUTES_PER_HOUR),
    rest: minutes % MINUTES_PER_HOUR,
  };
}

export function formatDuration(minutes: number): string {
  const { days, hours, rest } = splitMinutes(minutes);
  const parts = [days ? `${days}d` : '', hours ? `${hours}h` : '', rest ? `${rest}m` : ''];
  return parts.join('') || '0m';
}

/** ISO 8601 duration as Graph's `expiration.duration` wants it, e.g. `PT1H30M` or `P2DT4H`. */
export function toIsoDuration(minutes: number): string {
  const { days, hours, rest } = splitMinutes(minutes);
  const time = `${hours ? `${hours}H` : ''}${rest ? `${rest}M` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

export const minutesToMs = (minutes: number): number => minutes * 60_000;
