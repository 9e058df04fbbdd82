/** Where a message the bot posted lives, so it can be updated or threaded under later. */
export interface MessageRef {
  channel: string;
  ts: string;
}

export interface SlackMessageStore {
  find(requestId: string, kind: string): MessageRef | undefined;
  save(requestId: string, kind: string, ref: MessageRef, now: number): void;
}
