// PagerDuty's error body, `{"error": {"message", "code", "errors": [...]}}`, and the codes the simulator answers
// with: 2001 Invalid Input Provided, 2006 Authentication failed, 2010 Access Denied, 2100 Not Found
// (github.com/PagerDuty/developer-docs, docs/REST-API/14-Errors.md), 2020 Rate Limit Exceeded (04-Rate-Limits.md).

export class PagerDutyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: { message: this.message, code: this.code, ...(this.errors.length > 0 && { errors: this.errors }) } };
  }
}

export function invalidInput(...errors: string[]): PagerDutyApiError {
  return new PagerDutyApiError(400, 2001, 'Invalid Input Provided', errors);
}

export function authenticationFailed(): PagerDutyApiError {
  return new PagerDutyApiError(401, 2006, 'Authentication failed');
}

export function accessDenied(why: string): PagerDutyApiError {
  return new PagerDutyApiError(403, 2010, 'Access Denied', [why]);
}

export function notFound(...errors: string[]): PagerDutyApiError {
  return new PagerDutyApiError(404, 2100, 'Not Found', errors);
}

export function rateLimited(): PagerDutyApiError {
  return new PagerDutyApiError(429, 2020, 'Rate Limit Exceeded');
}

/** Bodies for injected faults; 5xx bodies are not documented, these follow the same shape (unverified). */
export function faultError(status: number): PagerDutyApiError {
  if (status === 429) return rateLimited();
  if (status === 401) return authenticationFailed();
  if (status === 403) return accessDenied('injected fault');
  if (status === 404) return notFound('injected fault');
  if (status === 400) return invalidInput('injected fault');
  return new PagerDutyApiError(status, 2000, 'Internal Server Error');
}
