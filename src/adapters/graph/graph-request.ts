import { type Client, type GraphRequest, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';

// Retries belong to the durable job queue, which survives restarts and honours Retry-After; not to the SDK.
const NO_SDK_RETRIES = [new RetryHandlerOptions(0, 0)];
// Graph usually answers within a second; a call still open after this is given up and retried by its job.
export const GRAPH_TIMEOUT_MS = 20_000;

/** A Graph request with no SDK retries and a deadline: a hung connection becomes a transient failure. */
export function graphRequest(graph: Client, path: string, timeoutMs: number): GraphRequest {
  return graph.api(path).middlewareOptions(NO_SDK_RETRIES).option('signal', AbortSignal.timeout(timeoutMs));
}
