// Slack never sends an interaction again once it has its ack, so a listener stores what the person did before
// acking. Slack waits 3 seconds for the ack; when the outside calls before the write (a profile, an Entra
// lookup) are slow, the ack goes first and the work finishes after it.

export const STORE_BEFORE_ACK_MS = 2000;
/**
 * A PagerDuty incident named in the form is looked up within this, so that even a PagerDuty that does not answer
 * is refused on the incident's field before STORE_BEFORE_ACK_MS gives up on the inline answer.
 */
export const INCIDENT_LOOKUP_MS = 1500;

/** The work's result if it settles within STORE_BEFORE_ACK_MS, otherwise undefined (the work goes on). */
export function inTimeForAck<T>(work: Promise<T>): Promise<T | undefined> {
  return Promise.race([work, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STORE_BEFORE_ACK_MS).unref())]);
}
