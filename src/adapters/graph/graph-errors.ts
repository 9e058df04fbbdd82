import { GraphError } from '@microsoft/microsoft-graph-client';
import type { OutsideFailure } from '../../application/ports.js';
import { retryAfterMs } from '../common/http-answers.js';

// Graph asks for these to be retried; Retry-After, when present, is how long to wait (https://learn.microsoft.com/graph/throttling).
// A 401 means the token was refused; the credential fetches a fresh one on the next attempt.
const TRANSIENT_STATUS = new Set([401, 429, 500, 502, 503, 504]);

// Sign-in answers that waiting will not heal: an invalid (7000215) or expired (7000222) client secret, an app
// unknown to the tenant (700016). https://learn.microsoft.com/entra/identity-platform/reference-error-codes
const CREDENTIAL_REJECTED = /AADSTS(7000215|7000222|700016)\b/;

/** A Graph (or credential, or network) error as a retry decision. */
export function classifyGraphError(error: unknown): OutsideFailure {
  const text = error instanceof Error ? error.message : String(error);
  const rejected = CREDENTIAL_REJECTED.exec(text);
  if (rejected) {
    return {
      ok: false,
      kind: 'permanent',
      code: 'credential_rejected',
      message: `Entra refused the bot's app credential (AADSTS${rejected[1]}); an admin must fix AZURE_CLIENT_ID or AZURE_CLIENT_SECRET`,
    };
  }
  if (error instanceof GraphError) {
    const code = error.code ?? 'UnknownError';
    // statusCode -1: no answer (network failure, or the credential could not get a token).
    if (error.statusCode === -1 || TRANSIENT_STATUS.has(error.statusCode)) {
      const wait = retryAfterMs(error.headers);
      return { ok: false, kind: 'transient', message: `${code}: ${error.message}`, ...(wait !== undefined && { retryAfterMs: wait }) };
    }
    return { ok: false, kind: 'permanent', code, message: `${error.statusCode} ${code}: ${error.message}` };
  }
  return { ok: false, kind: 'transient', message: error instanceof Error ? error.message : String(error) };
}

export function isGraphError(error: unknown, status: number, code?: string): error is GraphError {
  return error instanceof GraphError && error.statusCode === status && (code === undefined || error.code === code);
}
