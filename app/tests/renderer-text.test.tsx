// What the renderer draws for text other people chose (issue 12): names without bidi overrides or invisible characters,
// user text isolated in <bdi>, a nickname always beside its address. Rendered with react-dom/server under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderToStaticMarkup } from 'react-dom/server';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { Person, personText } from '../../renderer/components/UserText';
import type { MessageView } from '../ipc/contract';

const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u061C\u00AD\u3164]/;

test('a file name with a right-to-left override shows as it is saved ("invoicefdp.exe"), isolated', () => {
  const m: MessageView = {
    id: '1',
    conversationId: '1',
    direction: 'in',
    sender: 'sip:mallory@parley.test',
    text: 'see attached \u202Ereversed',
    at: 0,
    state: 'received',
    mode: 'page',
    e2e: { state: 'on' },
    file: { name: 'invoice\u202Efdp.exe', size: 10, mediaType: 'application/octet-stream' },
  };
  const html = renderToStaticMarkup(<MessageBubble m={m} onLink={() => {}} />);
  assert.match(html, /<bdi class="file-name">invoicefdp\.exe<\/bdi>/);
  assert.match(html, /aria-label="File invoicefdp\.exe, 10 B"/);
  // message text keeps its characters but cannot reorder anything outside its own <bdi>
  assert.match(html, /<bdi dir="auto">see attached \u202Ereversed<\/bdi>/);
});

test('a nickname is shown with its address beside it, both stripped and isolated', () => {
  const html = renderToStaticMarkup(<Person nickname={'Bob\u202E\u200B'} address="sip:mallory@parley.test" />);
  assert.doesNotMatch(html, INVISIBLE);
  assert.equal(html, '<bdi class="p-name">Bob</bdi> <span class="muted p-aor">&lt;<bdi>mallory@parley.test</bdi>&gt;</span>');
  assert.equal(renderToStaticMarkup(<Person address="sip:carol@parley.test" />), '<bdi class="p-aor">carol@parley.test</bdi>');
  assert.equal(personText('\u3164', 'sip:x@parley.test'), 'x@parley.test', 'a nickname of invisible characters is no nickname');
});
