// XML parse time of the two documents a client parses most: an RFC 4575 conference-info NOTIFY body as the lab's focus
// sends it (full state, 6 participants with nicknames and MSRP media) and an RFC 5438 IMDN delivery notification. Prints
// both in one run: the XML layer alone (parseXml) and the whole format parser on top of it (docs/architecture.md
// "Libraries" has the figures before and after the parser change). Run: npx tsx bench/xml-parse.ts [--seconds N]
import { parseXml } from '../main/protocol/formats/xml';
import { parseConferenceInfo, serializeConferenceInfo, type ConfUser } from '../main/protocol/formats/conference-info';
import { parseImdn, serializeImdn } from '../main/protocol/formats/imdn';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;

const users: ConfUser[] = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((n, i) => ({
  entity: `sip:${n}@parley.test`,
  state: 'full',
  displayText: `${n[0]!.toUpperCase()}${n.slice(1)} the ${i + 1}th`,
  roles: ['participant'],
  endpoints: [
    {
      entity: `sip:${n}@127.0.0.1:${5070 + i};transport=tcp`,
      status: 'connected',
      joiningMethod: 'dialed-in',
      joiningInfo: { when: '2026-12-01T10:00:00Z' },
      media: [{ id: `m${i}`, type: 'message', status: 'sendrecv' }],
    },
  ],
}));
const conference = serializeConferenceInfo({
  entity: 'sip:conf-4f2a9c1e0b7d@parley.test',
  version: 7,
  state: 'full',
  description: { subject: 'Release planning', confUris: [{ uri: 'sip:conf-4f2a9c1e0b7d@parley.test', purpose: 'participation' }] },
  conferenceState: { userCount: users.length, active: true, locked: false },
  users: { list: users },
});
const imdn = serializeImdn({
  kind: 'delivery',
  status: 'delivered',
  messageId: 'Xk3pQ9vR2mT7wY1zA5bC8d',
  dateTime: '2026-12-01T10:00:00.123Z',
  recipientUri: 'sip:bob@parley.test',
  originalRecipientUri: 'sip:bob@parley.test',
});

/** Mean microseconds per call over SECONDS, after a warm-up. */
function perCall(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    now = performance.now();
  }
  return ((now - start) * 1000) / n;
}

const rows: [string, number, () => unknown][] = [
  ['conference-info parseXml', conference.length, () => parseXml(conference)],
  ['conference-info parseConferenceInfo', conference.length, () => parseConferenceInfo(conference)],
  ['imdn parseXml', imdn.length, () => parseXml(imdn)],
  ['imdn parseImdn', imdn.length, () => parseImdn(imdn)],
];
for (const [name, size, fn] of rows)
  console.log(`${name.padEnd(38)} ${String(size).padStart(5)} B  ${perCall(fn).toFixed(1).padStart(7)} us/parse`);
