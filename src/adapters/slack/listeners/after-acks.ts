// Work a listener does after its ack (opening a modal, looking the person up) costs milliseconds of CPU each,
// for the outgoing requests; the ack itself, a fraction of one. When 50 people type `/jit` at once, Slack's
// envelopes reach the bot over several reads of the socket, and each listener's follow-up, started right after
// its ack, ran before the bot read the envelopes still waiting: their acks waited for it. Measured on the
// 50-person burst (bench/profile-slash.ts), the bot spent 45–75 ms of CPU before its last ack, against 17–27 ms
// when it acked alone. Let through one at a time, one per turn of the event loop, the follow-ups leave every
// turn free to read the socket first: 18–21 ms.

const waiting: (() => void)[] = [];
let draining = false;

function letOneThrough(): void {
  waiting.shift()?.();
  // Scheduled from an immediate, the next one runs on the next turn of the loop, after its I/O.
  if (waiting.length > 0) setImmediate(letOneThrough);
  else draining = false;
}

/** Resolves on a later turn of the event loop, after the follow-ups queued before it, one per turn. */
export function afterAcks(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (draining) return;
    draining = true;
    setImmediate(letOneThrough);
  });
}
