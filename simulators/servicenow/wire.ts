// ServiceNow's error body on the wire: `{error: {message, detail}, status: 'failure'}`, status only on errors
// (servicenow.com/docs/r/api-reference/rest-apis/change-management-api.html, and the 429 body of
// servicenow.com/docs/r/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.html).

export class ServiceNowApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: { message: this.message, detail: this.detail }, status: 'failure' };
  }

  static unauthenticated(): ServiceNowApiError {
    return new ServiceNowApiError(401, 'User Not Authenticated', 'Required to provide Auth information');
  }

  static forbidden(): ServiceNowApiError {
    return new ServiceNowApiError(403, 'User Not Authorized', 'Failed API level ACL Validation');
  }

  /** The Table API's answer for a record that does not exist or that ACLs hide. */
  static notFound(): ServiceNowApiError {
    return new ServiceNowApiError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
  }

  static noResource(): ServiceNowApiError {
    return new ServiceNowApiError(400, 'Requested URI does not represent any resource', null);
  }

  /** Bodies for injected faults; only the 429 body is documented, the others follow the same shape. */
  static fault(status: number): ServiceNowApiError {
    if (status === 429)
      return new ServiceNowApiError(429, 'Rate limit exceeded', 'Rate limit of 100 requests per hour for sn_chg_rest exceeded');
    if (status === 401) return ServiceNowApiError.unauthenticated();
    if (status === 403) return ServiceNowApiError.forbidden();
    if (status === 503) return new ServiceNowApiError(503, 'Service Unavailable', 'The instance is not available');
    return new ServiceNowApiError(status, 'Internal Server Error', 'An unexpected error occurred while processing the request');
  }
}
