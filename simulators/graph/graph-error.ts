// Graph's error answers: `{"error":{"code","message","innerError":{…}}}` with the codes and texts Graph uses
// (learn.microsoft.com/graph/errors).

import { randomUUID } from 'node:crypto';

export type Json = Record<string, unknown>;

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function graphErrorBody(code: string, message: string, now: number): Json {
  const requestId = randomUUID();
  return {
    error: {
      code,
      message,
      innerError: { date: new Date(now).toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': requestId },
    },
  };
}

export function notFound(id: string): GraphError {
  return new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function policyFailure(rule: string): GraphError {
  return new GraphError(400, 'RoleAssignmentRequestPolicyValidationFailed', `The following policy rules failed: ["${rule}"]`);
}

export function defaultFaultError(status: number): { code: string; message: string } {
  if (status === 429) return { code: 'TooManyRequests', message: 'Too many requests.' };
  if (status === 403) return { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };
  if (status === 503) return { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' };
  if (status === 504) return { code: 'GatewayTimeout', message: 'The gateway timed out.' };
  return { code: 'InternalServerError', message: 'Something went wrong.' };
}
