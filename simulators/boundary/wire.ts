// Boundary's error body and status codes (proto controller.api.v1.Error; internal/daemon/controller/handlers/
// errors.go): `{kind, message, details}` with the gRPC code name as `kind`; the HTTP status carries the code.

export class BoundaryApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly requestFields?: { name: string; description: string }[],
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.requestFields && { details: { request_fields: this.requestFields } }),
    };
  }
}

export function invalidArgument(name: string, description: string): BoundaryApiError {
  return new BoundaryApiError(400, 'InvalidArgument', 'Error in provided request.', [{ name, description }]);
}

export function unauthenticated(): BoundaryApiError {
  return new BoundaryApiError(401, 'Unauthenticated', 'Unauthenticated, or invalid token.');
}

export function forbidden(): BoundaryApiError {
  return new BoundaryApiError(403, 'PermissionDenied', 'Forbidden.');
}

export function notFound(): BoundaryApiError {
  return new BoundaryApiError(404, 'NotFound', 'Resource not found.');
}

/** Bodies for injected faults; 429/503 bodies are not documented, these follow the same shape (unverified). */
export function faultError(status: number): BoundaryApiError {
  if (status === 429) return new BoundaryApiError(429, 'ResourceExhausted', 'Too many requests.');
  if (status === 503) return new BoundaryApiError(503, 'Unavailable', 'Service unavailable.');
  if (status === 403) return forbidden();
  if (status === 401) return unauthenticated();
  if (status === 504) return new BoundaryApiError(504, 'DeadlineExceeded', 'Deadline exceeded.');
  return new BoundaryApiError(status, 'Internal', 'Internal error.');
}
