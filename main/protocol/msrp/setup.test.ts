import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerSetup, negotiateSetup } from './setup';
import { isParleyError } from '../../base/errors';

test('RFC 6135 role resolution', () => {
  assert.deepEqual(negotiateSetup('actpass', 'active'), { offerer: 'passive', answerer: 'active' });
  assert.deepEqual(negotiateSetup('actpass', 'passive'), { offerer: 'active', answerer: 'passive' });
  assert.deepEqual(negotiateSetup('active', 'passive'), { offerer: 'active', answerer: 'passive' });
  assert.deepEqual(negotiateSetup('passive', 'active'), { offerer: 'passive', answerer: 'active' });
  assert.deepEqual(negotiateSetup(undefined, undefined), { offerer: 'passive', answerer: 'active' });
  assert.deepEqual(negotiateSetup('active', undefined), { offerer: 'active', answerer: 'passive' });
  assert.deepEqual(negotiateSetup('actpass', 'actpass'), { offerer: 'passive', answerer: 'active' });
  for (const [o, a] of [
    ['active', 'active'],
    ['passive', 'passive'],
    ['holdconn', 'active'],
  ] as const) {
    assert.throws(
      () => negotiateSetup(o, a),
      (e) => isParleyError(e, 'MSRP_SETUP_CONFLICT'),
    );
  }
  assert.equal(answerSetup('actpass'), 'active');
  assert.equal(answerSetup(undefined), 'active');
  assert.equal(answerSetup('active'), 'passive');
  assert.equal(answerSetup('passive'), 'active');
});
