import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pickMode, PAGE_MODE_MAX_BYTES } from './mode-policy';

describe('pickMode', () => {
  it('page mode for a single short message, session above the RFC 3428 1300-byte guidance', () => {
    assert.equal(pickMode({ payloadBytes: 10 }), 'page');
    assert.equal(pickMode({ payloadBytes: PAGE_MODE_MAX_BYTES }), 'page');
    assert.equal(pickMode({ payloadBytes: PAGE_MODE_MAX_BYTES + 1 }), 'session');
  });
  it('keeps using an open session even for short messages', () => {
    assert.equal(pickMode({ payloadBytes: 3, openSession: true }), 'session');
  });
  it('the user override wins both ways', () => {
    assert.equal(pickMode({ payloadBytes: 5_000_000, userOverride: 'page' }), 'page');
    assert.equal(pickMode({ payloadBytes: 1, openSession: false, userOverride: 'session' }), 'session');
    assert.equal(pickMode({ payloadBytes: 1, openSession: true, userOverride: 'page' }), 'page');
    assert.equal(pickMode({ payloadBytes: 1, userOverride: null }), 'page');
  });
  it('rejects a negative or non-finite size', () => {
    assert.throws(() => pickMode({ payloadBytes: -1 }), RangeError);
    assert.throws(() => pickMode({ payloadBytes: Number.NaN }), RangeError);
  });
});
