import { randomBytes } from 'node:crypto';
import type { IdSource } from '../../application/ports.js';

// Crockford's base32 without I, L, O, U: readable when someone reads an id out loud from an audit export.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const randomIds: IdSource = {
  requestId: () => {
    const bytes = randomBytes(10);
    return `req_${Array.from(bytes, (byte) => ALPHABET[byte % 32]).join('')}`;
  },
};
