// The one way the notifier and the Home publisher reach the chat platform, named after what they mean to do:
// put a card in a channel, answer under it, write to one person, change what was said, show someone their Home
// tab. How the platform spells each (chat.postMessage with thread_ts, a user id standing for the DM, …) stays in
// the adapter behind it (slack-chat-surface.ts), and so do its errors: every operation answers a value, a
// failure as the project's OutsideFailure, transient (worth a retry, after `retryAfterMs` when the platform said
// so) or permanent.
//
// Why here and not in src/application: the application's seam to the people is `Notifier` (news about a
// request), and the notifier is an adapter of it. Cards, threads, DMs and Home tabs are how this adapter carries
// the news, not a rule of the bot, so the use cases never see them; and what travels through the surface is what
// the Block Kit builders render (./blocks), which belongs to this folder. For Microsoft Teams, a second
// implementation of these six operations would carry the same routing (which news goes to the card, its thread,
// the DM) to Teams; its content (Adaptive Cards instead of Block Kit) would come from renderers of its own.

import type { MessageRef, OutsideFailure } from '../../application/ports.js';
import type { HomeTab } from './blocks/home-tab.js';
import type { Rendered } from './blocks/request-card.js';

/** A message the platform took, and where it now lives (to update it, or to answer under it). */
export type Posted = { ok: true; ref: MessageRef } | OutsideFailure;
export type Done = { ok: true } | OutsideFailure;
/** A link people can open to a message, wherever they read it. */
export type Linked = { ok: true; url: string } | OutsideFailure;

export interface ChatSurface {
  /** Puts a card in a channel, for the people there to act on (the approval card, in the approvers' channel). */
  postCard(channel: string, card: Rendered): Promise<Posted>;
  /** Answers in the thread of a message the bot posted. */
  replyInThread(parent: MessageRef, message: Rendered): Promise<Posted>;
  /** Writes to one person in their direct conversation with the bot; the ref names that conversation. */
  sendDirect(personId: string, message: Rendered): Promise<Posted>;
  /** Replaces what a message the bot posted says, where it stands. */
  updateMessage(ref: MessageRef, message: Rendered): Promise<Done>;
  /** A link to a message the bot posted, to send someone who is not where it is (the card, to a person escalated to). */
  linkTo(ref: MessageRef): Promise<Linked>;
  /** Shows the person this Home tab, in place of the one they had. */
  publishHome(personId: string, home: HomeTab): Promise<Done>;
}
