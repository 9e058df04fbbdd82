// What the parts of the Slack simulator share: the workspace and the app's identity, Slack's error value,
// and the record of everything the app did that real Slack would refuse.

import type { SimMessage, SimView, Workspace } from './workspace.js';

export type Params = Record<string, unknown>;

/** A Web API error as Slack reports it: HTTP 200 with `{ ok: false, error, …extra }`. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

/** What a person could notice in Slack, for the demo's transcript. */
export type SlackActivity =
  | { kind: 'posted' | 'updated'; message: SimMessage }
  | { kind: 'ephemeral'; user: string; text: string; blocks: unknown[] }
  | { kind: 'modal_opened' | 'modal_updated' | 'home_published'; view: SimView };

export interface SlackHost {
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly scopes: string[];
  readonly workspace: Workspace;
  readonly port: number;
  now(): number;
  violate(problem: string): void;
  readonly onActivity: ((activity: SlackActivity) => void) | undefined;
}
