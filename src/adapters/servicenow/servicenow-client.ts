// A small client for ServiceNow's Change Management API (servicenow.com/docs/r/api-reference/rest-apis/
// change-management-api.html): a standard change opened from a template and found again by its correlation_id,
// moved through the standard state model one PATCH at a time, closed with a close code and notes. Basic auth of an
// integration user, a timeout on every call, every failure as the port's OutsideFailure; the password never
// reaches a message.

import type {
  ChangeMove,
  ChangeOpening,
  ChangeOrder,
  ChangeOutcome,
  ChangeRecords,
  ChangeState,
  OutsideFailure,
} from '../../application/ports.js';
import { describeNetworkError, retryAfterMs } from '../common/http-answers.js';
import {
  CLOSE_CODE,
  closeNotes,
  cutTo,
  fieldValue,
  MAX_LENGTH,
  readChange,
  resultList,
  resultRecord,
  STATE_VALUE,
  stepsTo,
} from './change-fields.js';

export interface ServiceNowClientOptions {
  /** The instance, e.g. https://example.service-now.com */
  instanceUrl: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

type Reply = { ok: true; status: number; body: unknown } | OutsideFailure;
type Found = { ok: true; record: Record<string, unknown> } | OutsideFailure;

const DEFAULT_TIMEOUT_MS = 10_000;
const API = '/api/sn_chg_rest/change';

export class ServiceNowClient implements ChangeRecords {
  private readonly root: string;
  private readonly username: string;
  private readonly timeoutMs: number;
  // Only the header is kept, in a private field: neither JSON.stringify nor a logger's serializer sees it.
  readonly #authorization: string;

  constructor(options: ServiceNowClientOptions) {
    this.root = options.instanceUrl.replace(/\/+$/, '');
    this.username = options.username;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
  }

  /**
   * Looks for the change opened for the correlation id first, so that a retry after a crash or a lost answer
   * finds it; only when there is none does it open one from the template.
   */
  async openChange(order: ChangeOrder): Promise<ChangeOpening> {
    const invalid = checkCorrelationId(order.correlationId);
    if (invalid) return invalid;
    // A standard change keeps its template's description (the create call ignores one), so the details go in the
    // justification, which the call does take.
    const wanted: Record<string, string> = {
      short_description: cutTo(order.shortDescription, MAX_LENGTH.short_description),
      correlation_id: order.correlationId,
      justification: cutTo(order.description, MAX_LENGTH.justification),
    };
    const existing = await this.findByCorrelation(order.correlationId);
    if (!existing.ok) return existing;
    let record = existing.record;
    if (record === undefined) {
      const path = `${API}/standard/${encodeURIComponent(order.templateId)}`;
      const created = await this.send('POST', path, { body: wanted, expect: [400, 404] });
      if (!created.ok) return created;
      if (created.status === 404) {
        return permanent(
          'TemplateNotFound',
          `ServiceNow has no standard change template ${order.templateId}; check change_record.template_id`,
        );
      }
      if (created.status === 400) {
        return permanent('TemplateRefused', `ServiceNow would not open a change from template ${order.templateId}: ${said(created.body)}`);
      }
      const answered = resultRecord(created.body);
      if (!answered) return badReply(`POST ${path}`, 'no change record in its answer');
      record = answered;
    }
    const opened = readChange(record);
    if (!opened) return badReply(`${API}`, 'a change without sys_id, number or a known state');
    // A field the instance did not take on create (a data policy, an ACL of its own) is set once more: without its
    // correlation_id, a retry could not find the change.
    const current = record;
    const missing = Object.fromEntries(Object.entries(wanted).filter(([name, value]) => fieldValue(current, name) !== value));
    if (Object.keys(missing).length === 0) return { ok: true, alreadyOpen: existing.record !== undefined, ...opened };
    const patched = await this.patch(opened.sysId, missing);
    if (!patched.ok) return patched;
    if (fieldValue(patched.record, 'correlation_id') !== order.correlationId) {
      return permanent(
        'CorrelationNotKept',
        `ServiceNow does not keep the correlation_id of change ${opened.number}, so a retry could not find it`,
      );
    }
    const change = readChange(patched.record);
    if (!change) return badReply(`PATCH ${API}/${opened.sysId}`, 'a change without sys_id, number or a known state');
    return { ok: true, alreadyOpen: existing.record !== undefined, ...change };
  }

  async moveToImplement(sysId: string): Promise<ChangeMove> {
    return this.moveTo(sysId, 'implement', {});
  }

  async closeChange(sysId: string, closing: { outcome: ChangeOutcome; notes: string }): Promise<ChangeMove> {
    return this.moveTo(sysId, 'closed', {
      close_code: CLOSE_CODE[closing.outcome],
      close_notes: closeNotes(closing.outcome, closing.notes),
    });
  }

  /**
   * Reads where the change stands and moves it one state at a time up to `target` (the state model refuses a
   * jump), the fields `last` going with the final move; a change already there or past it is left as it is.
   */
  private async moveTo(sysId: string, target: ChangeState, last: Record<string, string>): Promise<ChangeMove> {
    const read = await this.read(sysId);
    if (!read.ok) return read;
    let change = readChange(read.record);
    if (!change) return badReply(`GET ${API}/${sysId}`, 'a change without sys_id, number or a known state');
    if (change.state === 'canceled') {
      return permanent('ChangeCanceled', `ServiceNow change ${change.number} was canceled; it cannot be moved to ${target}`);
    }
    const steps = stepsTo(change.state, target);
    for (const [index, step] of steps.entries()) {
      const fields = index === steps.length - 1 ? { state: STATE_VALUE[step], ...last } : { state: STATE_VALUE[step] };
      const patched = await this.patch(sysId, fields);
      if (!patched.ok && patched.kind === 'permanent' && patched.code === 'BadRequest') return { ...patched, code: 'StateRefused' };
      if (!patched.ok) return patched;
      change = readChange(patched.record);
      if (!change) return badReply(`PATCH ${API}/${sysId}`, 'a change without sys_id, number or a known state');
      // An instance may drop a move a business rule refuses and still answer 200: the state it answers is the truth.
      if (change.state !== step) {
        return permanent('StateRefused', `ServiceNow kept change ${change.number} in ${change.state} when asked to move it to ${step}`);
      }
    }
    return { ok: true, ...change };
  }

  /**
   * The change whose correlation_id is exactly this one, oldest first. What comes back is checked again: an
   * encoded-query clause ServiceNow cannot use is ignored, which would list every change.
   */
  private async findByCorrelation(
    correlationId: string,
  ): Promise<{ ok: true; record: Record<string, unknown> | undefined } | OutsideFailure> {
    const reply = await this.send('GET', API, { query: { sysparm_query: `correlation_id=${correlationId}^ORDERBYnumber` } });
    if (!reply.ok) return reply;
    const list = resultList(reply.body);
    if (!list) return badReply(`GET ${API}`, 'no list of changes in its answer');
    return { ok: true, record: list.find((record) => fieldValue(record, 'correlation_id') === correlationId) };
  }

  private async read(sysId: string): Promise<Found> {
    const path = `${API}/${encodeURIComponent(sysId)}`;
    return this.record('GET', path, await this.send('GET', path, { expect: [404] }), sysId);
  }

  private async patch(sysId: string, fields: Record<string, string>): Promise<Found> {
    const path = `${API}/${encodeURIComponent(sysId)}`;
    return this.record('PATCH', path, await this.send('PATCH', path, { body: fields, expect: [404] }), sysId);
  }

  private record(method: string, path: string, reply: Reply, sysId: string): Found {
    if (!reply.ok) return reply;
    if (reply.status === 404) return permanent('ChangeNotFound', `ServiceNow has no change ${sysId} (or the bot's user may not read it)`);
    const record = resultRecord(reply.body);
    return record ? { ok: true, record } : badReply(`${method} ${path}`, 'no change record in its answer');
  }

  /** One HTTP exchange; the statuses in `expect` come back as ok for the caller, anything else unexpected as a failure. */
  private async send(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    call: { query?: Record<string, string>; body?: unknown; expect?: readonly number[] },
  ): Promise<Reply> {
    const url = new URL(`${this.root}${path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
    const what = `${method} ${url.pathname}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: this.#authorization,
          ...(call.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
        // The credentials go to the configured instance only, never after a redirect.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return { ok: false, kind: 'transient', message: `ServiceNow ${what}: ${describeNetworkError(error, this.timeoutMs)}` };
    }
    const body = parseJson(text);
    if (response.ok || call.expect?.includes(response.status)) {
      return body === undefined
        ? badReply(what, `something that is not JSON (${response.headers.get('content-type') ?? 'no content type'})`)
        : { ok: true, status: response.status, body };
    }
    return this.classify(response, body, what);
  }

  /** An error answer as a retry decision; the body is `{error: {message, detail}, status: 'failure'}`. */
  private classify(response: Response, body: unknown, what: string): OutsideFailure {
    const text = said(body);
    const answered = `ServiceNow ${what} answered ${response.status}${text ? ` (${text})` : ''}`;
    if (response.status === 429 || response.status >= 500) {
      const wait = retryAfterMs(response.headers);
      return { ok: false, kind: 'transient', message: answered, ...(wait !== undefined && { retryAfterMs: wait }) };
    }
    if (response.status === 401) {
      return permanent(
        'Unauthenticated',
        `${answered}: ServiceNow refused the credentials of "${this.username}"; check SERVICENOW_USERNAME and SERVICENOW_PASSWORD`,
      );
    }
    if (response.status === 403) {
      return permanent('Forbidden', `${answered}: the integration user "${this.username}" needs the itil role (or change_manager)`);
    }
    if (response.status >= 300 && response.status < 400) {
      return permanent('Redirected', `${answered}: the instance sent the bot elsewhere; check SERVICENOW_INSTANCE_URL`);
    }
    return permanent(response.status === 400 ? 'BadRequest' : `HTTP${response.status}`, answered);
  }
}

/** The id goes into an encoded query, where `^` separates clauses, and into a 100-character column. */
function checkCorrelationId(correlationId: string): OutsideFailure | undefined {
  if (correlationId === '' || correlationId.length > MAX_LENGTH.correlation_id || /[\^\n\r]/.test(correlationId)) {
    return permanent(
      'InvalidCorrelationId',
      `a change's correlation id must be 1 to 100 characters without ^ or line breaks; got "${correlationId}"`,
    );
  }
  return undefined;
}

/** What an error body says: `{error: {message, detail}, status: 'failure'}`, detail sometimes null. */
function said(body: unknown): string {
  const error = (body as { error?: { message?: unknown; detail?: unknown } } | undefined)?.error;
  return [error?.message, error?.detail].filter((part): part is string => typeof part === 'string' && part !== '').join(': ');
}

function permanent(code: string, message: string): OutsideFailure {
  return { ok: false, kind: 'permanent', code, message };
}

/** An answer the bot cannot read, such as a login page or a hibernating instance's page instead of JSON. */
function badReply(what: string, said: string): OutsideFailure {
  return permanent('BadReply', `ServiceNow ${what} answered with ${said}; check SERVICENOW_INSTANCE_URL`);
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
