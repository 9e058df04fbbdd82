import type { OutsideFailure } from '../../application/ports.js';

/** A Web API error as a retry decision: Slack's own refusals are final, rate limits and outages are not. */
export function classifySlackError(error: unknown): OutsideFailure {
  const failure = error as { code?: string; data?: { error?: string }; retryAfter?: number; message?: string };
  if (failure.code === 'slack_webapi_platform_error') {
    const code = failure.data?.error ?? 'unknown_error';
    return { ok: false, kind: 'permanent', code, message: `Slack refused: ${code}` };
  }
  if (failure.code === 'slack_webapi_rate_limited_error') {
    return { ok: false, kind: 'transient', message: 'Slack rate limit', retryAfterMs: (failure.retryAfter ?? 1) * 1000 };
  }
  return { ok: false, kind: 'transient', message: failure.message ?? String(error) };
}
