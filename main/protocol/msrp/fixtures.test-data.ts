// Wire fixtures for the MSRP parser tests, modelled on RFC 4975 s.7.1 and s.12 examples plus edge cases.
const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');

export interface Fixture {
  name: string;
  bytes: Buffer;
  frames: number; // expected count
  bodies?: (string | undefined)[]; // expected bodies (latin1) per frame
}

const SEND_SIMPLE = crlf(`MSRP a786hjs2 SEND
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
Message-ID: 87652491
Byte-Range: 1-25/25
Content-Type: text/plain

Hey Bob, are you there?
-------a786hjs2$
`);

const RESP_200 = crlf(`MSRP a786hjs2 200 OK
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
-------a786hjs2$
`);

const REPORT = crlf(`MSRP dkei38sd REPORT
To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
Message-ID: 12339sdqwer
Byte-Range: 1-106/106
Status: 000 200 OK
-------dkei38sd$
`);

const CHUNK1 = crlf(`MSRP d93kswow SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: 12339sdqwer
Byte-Range: 1-10/*
Content-Type: text/plain

0123456789
-------d93kswow+
`);

const CHUNK2 = crlf(`MSRP op2nc9a SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: 12339sdqwer
Byte-Range: 11-15/15
Content-Type: text/plain

abcde
-------op2nc9a$
`);

const INTERRUPTED = crlf(`MSRP int3rrupt SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: abort1
Byte-Range: 1-*/2000
Content-Type: text/plain

partial data
-------int3rrupt#
`);

const LOOKALIKE = Buffer.concat([
  crlf(`MSRP l00kalike SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: look1
Content-Type: application/octet-stream

`),
  Buffer.from('a\r\n-------l00kalikeX\r\n-------l00kalik$\r\n-------l00kalike$ \r\n-------l00kalike$\rx', 'latin1'),
  Buffer.from('-------l00kalike$\r\n\r\n\r\n------- \r\r\n', 'latin1'),
  Buffer.from('\r\n-------l00kalike$\r\n', 'latin1'),
]);
const LOOKALIKE_BODY =
  'a\r\n-------l00kalikeX\r\n-------l00kalik$\r\n-------l00kalike$ \r\n-------l00kalike$\rx-------l00kalike$\r\n\r\n\r\n------- \r\r\n';

const NO_CONTENT_TYPE = crlf(`MSRP n0ctype1 SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: noct

raw body
-------n0ctype1$
`);

const EMPTY_BODY = crlf(`MSRP emptyb0d SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: empty
Byte-Range: 1-0/0
Content-Type: text/plain


-------emptyb0d$
`);

const BARE_SEND = crlf(`MSRP bare5end SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: bare
Byte-Range: 1-0/0
-------bare5end$
`);

const NICKNAME = crlf(`MSRP n1ck9ame NICKNAME
To-Path: msrp://conf.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Use-Nickname: "Alice the Great"
-------n1ck9ame$
`);

const RESP_NO_COMMENT = crlf(`MSRP xyz9876 481
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
-------xyz9876$
`);

const binary = Buffer.alloc(3000);
for (let i = 0; i < binary.length; i++) binary[i] = (i * 7 + 13) & 0xff;
binary.write('\r\n-------bin4ry00', 100, 'latin1'); // look-alike without flag+CRLF after it
binary.write('\r\n-------bin4ry00$', 400, 'latin1');
const BINARY = Buffer.concat([
  crlf(`MSRP bin4ry00 SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: bin
Byte-Range: 1-3000/3000
Content-Type: application/octet-stream

`),
  binary,
  Buffer.from('\r\n-------bin4ry00$\r\n', 'latin1'),
]);

export const BINARY_BODY = binary;

export const FIXTURES: Fixture[] = [
  { name: 'send', bytes: SEND_SIMPLE, frames: 1, bodies: ['Hey Bob, are you there?'] },
  { name: '200', bytes: RESP_200, frames: 1, bodies: [undefined] },
  { name: 'report', bytes: REPORT, frames: 1, bodies: [undefined] },
  { name: 'chunks', bytes: Buffer.concat([CHUNK1, CHUNK2]), frames: 2, bodies: ['0123456789', 'abcde'] },
  { name: 'interrupted', bytes: INTERRUPTED, frames: 1, bodies: ['partial data'] },
  { name: 'lookalike', bytes: LOOKALIKE, frames: 1, bodies: [LOOKALIKE_BODY] },
  { name: 'no-content-type', bytes: NO_CONTENT_TYPE, frames: 1, bodies: ['raw body'] },
  { name: 'empty-body', bytes: EMPTY_BODY, frames: 1, bodies: [''] },
  { name: 'bare-send', bytes: BARE_SEND, frames: 1, bodies: [undefined] },
  { name: 'nickname', bytes: NICKNAME, frames: 1, bodies: [undefined] },
  { name: '481-no-comment', bytes: RESP_NO_COMMENT, frames: 1, bodies: [undefined] },
  { name: 'binary', bytes: BINARY, frames: 1, bodies: [binary.toString('latin1')] },
];

export const ALL_CONCAT = Buffer.concat(FIXTURES.map((f) => f.bytes));
