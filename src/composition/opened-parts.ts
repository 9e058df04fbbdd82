// What a start has opened so far (the database, the Slack connection, the ops server, the timers), closed the
// last opened first: when the bot stops, and when a later step of its start fails, so that a bot that cannot
// start leaves nothing open (a pooled connection, a socket, a listening server) that would keep its process
// alive instead of letting it end and be restarted.

export class OpenedParts {
  private readonly closers: (() => Promise<void>)[] = [];

  /** `close` must be safe to call even when the part's own start failed half-way. */
  add(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /**
   * Closes every part, the last opened first. A part that fails to close does not keep the others open: the
   * first failure is thrown once all have been tried.
   */
  async closeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}
