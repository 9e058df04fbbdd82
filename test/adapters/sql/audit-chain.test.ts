import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditHash, type ChainedFields, GENESIS_HASH } from '../../../src/adapters/sql/audit-chain.js';
import { AWKWARD_TEXT } from '../../support/fixtures.js';

describe('the audit hash', () => {
  it('is the SHA-256 of the JSON array of a row’s fields, as every chain written so far was hashed', () => {
    const fields: ChainedFields = {
      seq: 1234,
      at: 1_767_225_600_000,
      requestId: 'req_A',
      actor: 'U0REQUESTER',
      action: 'requested',
      stateBefore: null,
      stateAfter: 'pending',
      detail: JSON.stringify({ reason: AWKWARD_TEXT }),
      prevHash: GENESIS_HASH,
    };
    const content = [
      fields.seq,
      fields.at,
      fields.requestId,
      fields.actor,
      fields.action,
      fields.stateBefore,
      fields.stateAfter,
      fields.detail,
      fields.prevHash,
    ];
    expect(auditHash(fields)).toBe(createHash('sha256').update(JSON.stringify(content)).digest('hex'));
  });
});
