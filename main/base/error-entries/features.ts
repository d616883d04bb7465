// Error codes of main/media (the SDP-only peer connection and its MSRP media) and of the features in main/features: page
// mode, chat sessions, file transfer and conferences. Session codes exit 4 in the CLI (the session failed) except a
// cancelled INVITE (5: nobody answered in time); a refused file exits 4; room failures exit 4, a join timeout 5.
import { group, USER as U } from './define';

export const MEDIA_ERRORS = group('media', {
  MSRP_CA_UNREADABLE: ['The CA file that verifies msrps relays and peers cannot be read.', U.relay, 'SIP_FAILURE'],
  SESSION_BAD_ANSWER: ["The peer's SDP answer is unusable (another transport than offered, or invalid).", U.negotiation, 'SIP_FAILURE'],
  SESSION_BAD_STATE: ['An offer, answer or accept came in the wrong session state.', U.internal, 'SIP_FAILURE'],
  SESSION_NO_DRIVER: ['The RTCPeerConnection stand-in was created without an MSRP driver.', U.internal, 'SIP_FAILURE'],
  SESSION_NO_FINGERPRINT: [
    'An msrps peer sent no sha-256 a=fingerprint.',
    "The contact's connection could not be verified.",
    'SIP_FAILURE',
  ],
  SESSION_NO_MEDIA_TRACKS: ['Audio or video tracks were added to an MSRP session.', U.internal, 'SIP_FAILURE'],
  SESSION_NO_TRANSPORT: ['No msrp or msrps transport is configured for the session.', U.internal, 'SIP_FAILURE'],
  SESSION_UNSUPPORTED: ['A re-INVITE or an offer at an unsupported moment arrived.', U.negotiation, 'SIP_FAILURE'],
});

export const PAGE_ERRORS = group('page', {
  E2E_FAILED: ['Opening a protected page-mode message failed unexpectedly.', U.protectedUnreadable],
  MULTI_GROUP_MEMBERS_UNKNOWN: [
    "A group's members are unknown, so a list message cannot be sealed end to end.",
    'The members of this group are not known yet.',
  ],
  MULTI_NO_RECIPIENTS: ['A multi-recipient message has no recipient other than the sender.', 'Add at least one other recipient.'],
  MULTI_TOO_MANY_RECIPIENTS: ['A multi-recipient message has more recipients than the limit.', 'There are too many recipients.'],
  PAGE_EMPTY: ['A page-mode send has neither text nor body.', 'There is nothing to send.'],
  PAGE_HANDLER_FAILED: ['A handler for an incoming MESSAGE threw.', U.internal],
  SIP_FAILURE: [
    'The network or the recipient answered a MESSAGE with a SIP failure response.',
    'The network did not deliver the message.',
    'SIP_FAILURE',
  ],
  SIP_TIMEOUT: ['A MESSAGE got no final response in time (408).', 'The network did not confirm the message in time.', 'TIMEOUT'],
  SIP_TRANSPORT_ERROR: ['A MESSAGE could not be sent: no connection to the proxy.', U.connectionLost, 'REGISTRATION'],
});

export const SESSION_ERRORS = group('session', {
  MSRP_NO_SUCCESS_REPORT: [
    'A requested Success-Report did not come in time: the message may not have reached the peer (a relay answers hop by hop).',
    'The message may not have been delivered.',
    'SIP_FAILURE',
  ],
  E2E_NO_SESSION_KEYS: ['An encrypted MSRP body arrived in a session without key agreement.', U.protectedUnreadable],
  E2E_PLAINTEXT_IN_PROTECTED_SESSION: ['An unencrypted body arrived in an end-to-end protected session and was refused.', U.tampered],
  MSRP_SEND_FAILED: [
    'A message SEND in a session got an MSRP failure response or could not be sent.',
    'The message could not be sent in the chat.',
    'SIP_FAILURE',
  ],
  MSRP_TIMEOUT: [
    'A message SEND in a session got no response in time (408).',
    'The contact did not confirm the message in time.',
    'TIMEOUT',
  ],
  SEND_INTERRUPTED: ['A message in a session was aborted by its sender before it was sent.', 'Sending was stopped.'],
  SESSION_CANCELLED: [
    'The INVITE was cancelled before an answer (by us on timeout or abort, or by the caller).',
    'The contact did not answer.',
    'TIMEOUT',
  ],
  SESSION_CLOSED: ['The chat session is closed.', U.sessionEnded, 'SIP_FAILURE'],
  SESSION_DECLINED: ['The peer declined the session (603).', 'The contact declined the chat.', 'SIP_FAILURE'],
  SESSION_FAILED: ['The SIP session failed or ended unexpectedly.', 'The chat could not be set up.', 'SIP_FAILURE'],
  SESSION_INTERNAL: ['Handling a session event or an incoming INVITE failed unexpectedly.', U.internal, 'SIP_FAILURE'],
  SESSION_INVITE_FAILED: ['The INVITE could not be sent.', 'The chat could not be started.', 'SIP_FAILURE'],
  SESSION_MESSAGE_TOO_LARGE: ['A chat message exceeds the session message limit (files go by file transfer).', U.tooLarge, 'SIP_FAILURE'],
  SESSION_NOT_STARTED: ['The session manager was used before start().', U.internal, 'SIP_FAILURE'],
  SESSION_REJECTED: [
    'The peer refused the session with a SIP failure other than 603.',
    'The contact could not take the chat.',
    'SIP_FAILURE',
  ],
  SESSION_SEND_FAILED: ['Sending in a session failed unexpectedly.', 'The message could not be sent in the chat.', 'SIP_FAILURE'],
  SDP_MISSING: ['An incoming INVITE carries no SDP offer; offerless INVITEs are not supported (488).', U.negotiation],
  SIP_BAD_FROM: ['An incoming INVITE has an unusable From URI (488).', U.unreadable],
});

export const TRANSFER_ERRORS = group('transfer', {
  FILE_WRITE_FAILED: ['Writing a received file to disk failed (disk full, permissions, I/O error).', 'The file could not be saved.'],
  FILE_UNCONFIRMED: ['The receiver never confirmed the whole file (no final Success-Report): it may not have arrived.', U.file],
  FILE_NOT_PICKED: [
    'The renderer named a file the user did not pick in main (dialog or drop): main reads only picked files.',
    'Choose the file with "Attach file" (or drop it on the conversation).',
    'USAGE',
  ],
  FILE_UNC_PATH: [
    'A UNC or device path (\\\\server\\share) was named as a file to send: never read.',
    'Network paths cannot be sent: copy the file to this computer first.',
    'USAGE',
  ],
  FILE_BAD_ANSWER: ["The peer's answer to a file offer is unusable (wrong direction, invalid).", U.negotiation],
  FILE_BAD_RANGE: ['A resume range starts beyond the file or, for a protected file, off a segment boundary.', U.file],
  FILE_BAD_STATE: [
    'A transfer action (accept, decline, cancel, resume) does not fit the current state.',
    'This file transfer can no longer do that.',
  ],
  FILE_CANCELLED: ['The transfer was cancelled on this side.', 'The file transfer was cancelled.'],
  FILE_CANCELLED_BY_PEER: ['The other side cancelled the transfer or withdrew the offer.', 'The contact cancelled the file transfer.'],
  FILE_CHANGED: [
    'The file changed while hashed or sent, or a resumed offer is for another file.',
    'The file changed while it was being sent.',
  ],
  FILE_CLOSED: ['A partial file was written after it was closed.', U.internal],
  FILE_CONNECTION_LOST: ['The MSRP connection was lost while sending a file.', 'The connection was lost during the file transfer.'],
  FILE_DECLINED: ['The receiver declined the file (603).', 'The contact declined the file.', 'SIP_FAILURE'],
  FILE_FAILED: ['A transfer failed without a more specific code.', U.file],
  FILE_GROUP_UNSUPPORTED: [
    'A file was to be sent to a group; files go to one contact at a time.',
    'Files can be sent to one contact at a time.',
  ],
  FILE_HASH_MISMATCH: [
    'A received file does not match its SHA-256, so it was deleted.',
    'The received file was damaged and has been deleted.',
  ],
  FILE_INTERNAL: ['Handling an incoming file INVITE failed unexpectedly.', U.internal],
  FILE_INTERRUPTED: [
    'A file transfer stopped before its end (connection lost); it can be resumed.',
    'The file transfer was interrupted; you can resume it.',
  ],
  FILE_INVITE_FAILED: [
    'The INVITE offering a file could not be sent, or got no final answer.',
    'The file could not be offered to the contact.',
  ],
  FILE_MANIFEST_BAD: ['The manifest of a protected file is malformed or too large.', U.file],
  FILE_NAME_EXHAUSTED: ['No free file name is left in the download folder.', 'No free file name is left in the download folder.'],
  FILE_NOBODY: ['No receiver is taking files right now (480).', 'The contact is not taking files right now.'],
  FILE_NOT_FOUND: ['A resume asks for a file that was never offered (488).', U.file],
  FILE_NOT_REGULAR: ['The path to send is not a regular file.', 'Only regular files can be sent.'],
  FILE_NOT_RESUMABLE: ['The transfer cannot be resumed.', 'This file transfer cannot be resumed.'],
  FILE_NOT_SAVED: ['The received file has not been saved yet.', 'The file has not been saved yet.'],
  FILE_NOT_STARTED: ['The file transfer manager was used before start().', U.internal],
  FILE_NO_PARTIAL: ['No partial download exists for a resume.', 'There is nothing to resume.'],
  FILE_OFFER_BAD: ['A file offer is malformed, or a resume offers other protection than the original.', U.fileOffer],
  FILE_OUT_OF_ORDER: ['A file chunk arrived beyond the bytes received so far.', U.file],
  FILE_PREVIEW_BAD: ['The encrypted preview in a file offer is malformed or does not open.', U.fileOffer],
  FILE_READ_FAILED: ['The file to send cannot be opened or read.', 'The file could not be read.'],
  FILE_RECEIVE_FAILED: ['Receiving a file failed unexpectedly.', U.file],
  FILE_REFUSED: ['The receiver answered a file chunk with an MSRP failure.', 'The contact stopped accepting the file.', 'SIP_FAILURE'],
  FILE_REJECTED: [
    'The receiver refused the file offer with a SIP failure other than 603.',
    'The contact could not take the file.',
    'SIP_FAILURE',
  ],
  FILE_SAVE_FAILED: ['The received file cannot be written to the download folder.', 'The file could not be saved.'],
  FILE_SEND_FAILED: ['Sending a file failed unexpectedly.', U.file],
  FILE_SIZE_MISMATCH: ['A received file has another size than announced.', U.file],
  FILE_TAMPERED: ['A protected file or its preview failed authentication.', 'The received file failed its security check.'],
  FILE_TOO_LARGE: ["A file offer exceeds the receiver's size limit (603).", 'The file is too large for the contact.'],
  FILE_TRANSFER_NOT_FOUND: ['No transfer with this id exists.', 'That file transfer no longer exists.'],
  FILE_UNAVAILABLE: ['The receiver signed out while an offer was waiting.', 'The contact is no longer available.'],
});

export const CONFERENCE_ERRORS = group('conference', {
  CONF_BAD_ANSWER: ['The focus answered in a way not supported (it wants to open the connection).', U.negotiation, 'SIP_FAILURE'],
  CONF_BAD_OFFER: ['The focus offer cannot be answered, or insists on opening the connection itself.', U.negotiation, 'SIP_FAILURE'],
  CONF_BAD_STATE: ['A room or invitation action does not fit the current state.', 'This room can no longer do that.', 'SIP_FAILURE'],
  CONF_E2E_NO_SENDER_KEY: [
    "A room message expired before its sender's key arrived.",
    "A room message could not be opened: its sender's key is missing.",
    'SIP_FAILURE',
  ],
  CONF_E2E_PENDING_FULL: [
    'Too many room messages wait for sender keys; more are dropped.',
    "A room message could not be opened: its sender's key is missing.",
    'SIP_FAILURE',
  ],
  CONF_E2E_UNSUPPORTED: [
    'A group-encrypted message arrived in a room joined without an identity key.',
    U.protectedUnreadable,
    'SIP_FAILURE',
  ],
  CONF_INBOUND_FAILED: ['Handling an incoming room message failed unexpectedly.', U.internal, 'SIP_FAILURE'],
  CONF_INVITATION_FAILED: ['A room invitation ended before it was answered.', 'The room invitation is no longer valid.', 'SIP_FAILURE'],
  CONF_INVITATION_NOT_FOUND: ['No room invitation with this id exists.', 'That invitation no longer exists.', 'SIP_FAILURE'],
  CONF_INVITE_FAILED: ['The focus refused to invite someone to the room.', 'The invitation could not be sent.', 'SIP_FAILURE'],
  CONF_JOIN_FAILED: ['The INVITE to the focus could not be sent or was refused.', 'Could not join the room.', 'SIP_FAILURE'],
  CONF_JOIN_TIMEOUT: ['The focus did not answer the join in time (408).', 'The room did not answer in time.', 'TIMEOUT'],
  CONF_LEG_CLOSED: ['The connection to the focus closed while it was being set up.', U.roomLost, 'SIP_FAILURE'],
  CONF_LEG_FAILED: ['The SIP dialog with the focus ended unexpectedly.', U.roomLost, 'SIP_FAILURE'],
  CONF_MSRP_FAILED: ['The MSRP connection to the focus failed or was lost.', U.roomLost, 'SIP_FAILURE'],
  CONF_NICKNAME_REFUSED: ['The focus refused a nickname.', 'That nickname was refused.', 'SIP_FAILURE'],
  CONF_NICKNAME_TAKEN: ['The nickname is already used in the room (425).', 'That nickname is already taken in this room.', 'SIP_FAILURE'],
  CONF_NOT_A_FOCUS: ['The answer to a join has no usable focus Contact.', 'That address is not a chat room.', 'SIP_FAILURE'],
  CONF_NOT_A_PARTICIPANT: ['A private message was addressed to someone not in the room.', 'That person is not in the room.', 'SIP_FAILURE'],
  CONF_NOT_IN_ROOM: ['You are not, or no longer, in the room.', 'You are not in this room.', 'SIP_FAILURE'],
  CONF_NOT_STARTED: ['The conference client was used before start().', U.internal, 'SIP_FAILURE'],
  CONF_NO_SENDER: ['A room message has no CPIM From.', U.unreadable, 'SIP_FAILURE'],
  CONF_NO_SUCH_ROOM: ['The focus answered a join with 404: the room does not exist.', 'This room does not exist.', 'SIP_FAILURE'],
  CONF_ROOM_FULL: ['The focus refused a join because the room is full.', 'This room is full.', 'SIP_FAILURE'],
  CONF_ROOM_NOT_FOUND: ['No room with this id is known to the account.', 'That room is no longer in your list.', 'SIP_FAILURE'],
  CONF_ROSTER_LOST: [
    "The subscription to a room's participant list ended and could not be renewed.",
    'The participant list of this room is no longer updated.',
    'SIP_FAILURE',
  ],
  CONF_SEND_FAILED: ['A room message could not be sent.', 'The message could not be sent to the room.', 'SIP_FAILURE'],
  CONF_SUBSCRIBE_FAILED: ["The SUBSCRIBE to a room's participant list could not be sent.", U.roster, 'SIP_FAILURE'],
  KEY_MSG_UNSOLICITED: ['A key response arrived in a room without a request of ours.', U.keyMessage],
});
