// What the simulated workspace holds: people, user groups, conversations, messages and views, as Slack would show them.

import type { SimUserGroup } from './user-groups.js';

export interface SimUser {
  id: string;
  name: string;
  realName: string;
  email?: string;
  isBot?: boolean;
  deleted?: boolean;
  tz?: string;
  /** The person's home team: another team's id for a Slack Connect user. Default: the simulated workspace. */
  teamId?: string;
  /** A guest; a single-channel guest is also `isUltraRestricted` (docs.slack.dev/reference/objects/user-object). */
  isRestricted?: boolean;
  isUltraRestricted?: boolean;
  /** An external user who shares no channel with the workspace; users.info then carries `is_stranger: true`. */
  isStranger?: boolean;
}

/** A person to seed; `realName` defaults to `name`. */
export type PersonSeed = Omit<SimUser, 'realName'> & { realName?: string };

export interface SimChannel {
  id: string;
  name: string;
  isIm: boolean;
  isPrivate: boolean;
  members: Set<string>;
}

export interface SimMessageVersion {
  text: string;
  blocks: unknown[];
}

export interface SimMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  /** The author: the bot's user id for the bot's messages. */
  user: string;
  botId?: string;
  text: string;
  blocks: unknown[];
  /** Earlier versions, oldest first, kept so tests can see what an update changed. */
  history: SimMessageVersion[];
}

export interface SimEphemeral {
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

export interface SimView {
  id: string;
  type: 'modal' | 'home';
  user: string;
  hash: string;
  /** The view as the app last sent it. */
  definition: Record<string, unknown>;
  /** What the person has typed or picked: state.values, keyed by block_id then action_id. */
  values: Record<string, Record<string, Record<string, unknown>>>;
  rootViewId: string;
  previousViewId: string | null;
  /** Inline errors from the last `response_action: errors`, keyed by block_id. */
  errors: Record<string, string>;
}

export class Workspace {
  readonly users = new Map<string, SimUser>();
  readonly channels = new Map<string, SimChannel>();
  readonly messages: SimMessage[] = [];
  readonly ephemerals: SimEphemeral[] = [];
  readonly views = new Map<string, SimView>();
  /** Each person's open modals, root first. */
  readonly modalStacks = new Map<string, string[]>();
  readonly homeViews = new Map<string, string>();
  readonly userGroups = new Map<string, SimUserGroup>();
  /** User groups need a paid plan; on the free plan usergroups.* answer plan_upgrade_required. */
  plan: 'free' | 'pro' = 'pro';
  private lastTs = 0;
  private counter = 0;

  constructor(private readonly now: () => number) {}

  addPerson(person: PersonSeed): SimUser {
    const added = { realName: person.name, ...person };
    this.users.set(person.id, added);
    return added;
  }

  /** A multi-channel guest, or with `singleChannel` a single-channel guest. */
  addGuest(person: PersonSeed, options: { singleChannel?: boolean } = {}): SimUser {
    return this.addPerson({ ...person, isRestricted: true, isUltraRestricted: options.singleChannel ?? false });
  }

  /**
   * A Slack Connect user from another team (docs.slack.dev/apis/slack-connect); with `stranger`, one who shares
   * no channel with this workspace.
   */
  addExternalUser(person: PersonSeed, options: { teamId: string; stranger?: boolean }): SimUser {
    return this.addPerson({ ...person, teamId: options.teamId, ...(options.stranger && { isStranger: true }) });
  }

  /** Every account with this email, ignoring case, in the order they were seeded. */
  usersWithEmail(email: string): SimUser[] {
    const wanted = email.toLowerCase();
    return [...this.users.values()].filter((user) => user.email?.toLowerCase() === wanted);
  }

  /** Slack timestamps: "<seconds>.<6 digits>", unique and strictly increasing. */
  nextTs(): string {
    const micros = Math.max(this.now() * 1000, this.lastTs + 1);
    this.lastTs = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}0SIM${String(this.counter).padStart(5, '0')}`;
  }

  imWith(userId: string): SimChannel {
    const existing = [...this.channels.values()].find((channel) => channel.isIm && channel.members.has(userId));
    if (existing) return existing;
    const channel: SimChannel = { id: this.nextId('D'), name: userId, isIm: true, isPrivate: true, members: new Set([userId]) };
    this.channels.set(channel.id, channel);
    return channel;
  }

  findMessage(channel: string, ts: string): SimMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  topModal(userId: string): SimView | undefined {
    const stack = this.modalStacks.get(userId) ?? [];
    const id = stack[stack.length - 1];
    return id ? this.views.get(id) : undefined;
  }
}
