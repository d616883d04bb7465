import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, buildSuccessReport, expectsResponse, failureReportAllowed, ReportProgress, responseAllowed } from './reports';
import { serializeRequest } from './serializer';
import { parseFrames } from './parser';
import { getHeader, parseFailureReport, parseSuccessReport } from './message';
import { isParleyError } from '../../base/errors';

test('which responses a receiver sends (s.7.1.2)', () => {
  for (const s of [200, 400, 413, 415, 481]) {
    assert.equal(responseAllowed('yes', s), true);
    assert.equal(responseAllowed('no', s), false);
    assert.equal(responseAllowed('partial', s), s !== 200);
  }
  assert.deepEqual(
    ['yes', 'no', 'partial'].map((m) => expectsResponse(m as 'yes')),
    [true, false, false],
  );
  assert.deepEqual(
    ['yes', 'no', 'partial'].map((m) => failureReportAllowed(m as 'yes')),
    [true, false, true],
  );
});

test('header defaults and validation', () => {
  assert.equal(parseFailureReport(undefined), 'yes');
  assert.equal(parseFailureReport(' Partial '), 'partial');
  assert.equal(parseSuccessReport(undefined), false);
  assert.equal(parseSuccessReport('yes'), true);
  assert.throws(
    () => parseFailureReport('maybe'),
    (e) => isParleyError(e, 'MSRP_BAD_HEADER'),
  );
  assert.throws(
    () => parseSuccessReport('partial'),
    (e) => isParleyError(e, 'MSRP_BAD_HEADER'),
  );
});

test('success REPORT: Status 000 200 OK and Byte-Range 1-N/N', () => {
  const spec = buildSuccessReport({
    toPath: ['msrp://r:1/a;tcp', 'msrp://a:2/b;tcp'],
    fromPath: ['msrp://b:3/c;tcp'],
    messageId: 'mid',
    totalBytes: 106,
  });
  const [f] = parseFrames(serializeRequest(spec)).frames;
  assert.equal(f.method, 'REPORT');
  assert.equal(getHeader(f.headers, 'To-Path'), 'msrp://r:1/a;tcp msrp://a:2/b;tcp');
  assert.equal(getHeader(f.headers, 'Status'), '000 200 OK');
  assert.equal(getHeader(f.headers, 'Byte-Range'), '1-106/106');
  assert.equal(f.body, undefined);
  const fail = parseFrames(
    serializeRequest(
      buildReport({
        toPath: ['msrp://a:2/b;tcp'],
        fromPath: ['msrp://b:3/c;tcp'],
        messageId: 'm',
        byteRange: { start: 1, end: 10, total: 20 },
        status: 413,
      }),
    ),
  ).frames[0];
  assert.equal(getHeader(fail.headers, 'Status'), '000 413 Message Too Large');
});

test('sender progress from partial success reports in any order', () => {
  const p = new ReportProgress(30);
  assert.equal(p.add({ start: 11, end: 20, total: 30 }), 0);
  assert.equal(p.add({ start: 1, end: 10, total: 30 }), 20);
  assert.ok(!p.complete);
  assert.equal(p.add({ start: 21, end: 30, total: 30 }), 30);
  assert.ok(p.complete);
});
