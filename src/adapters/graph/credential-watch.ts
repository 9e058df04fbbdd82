// Entra refusing the bot's app credential stops every grant and every removal, and no retry heals it: someone
// has to act. Whichever call meets it first, the admins are to hear of it.

import type { OutsideFailure } from '../../application/ports.js';

export type RejectedCredential = Extract<OutsideFailure, { kind: 'permanent' }>;

function isRejectedCredential(result: unknown): result is RejectedCredential {
  if (typeof result !== 'object' || result === null) return false;
  const failure = result as Partial<RejectedCredential>;
  return failure.ok === false && failure.kind === 'permanent' && failure.code === 'credential_rejected';
}

/**
 * `service` (a Graph adapter, whose calls are all asynchronous and answer failures as values) with every call
 * reporting a rejected credential to `onRejected` on its way back.
 */
export function watchCredential<T extends object>(service: T, onRejected: (failure: RejectedCredential) => void): T {
  return new Proxy(service, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]): Promise<unknown> => {
        const result: unknown = await value.apply(target, args);
        if (isRejectedCredential(result)) onRejected(result);
        return result;
      };
    },
  });
}
