// The group-chat feature (docs/conferences.md): the conference.* channels, answered by the account's UeConference.
import { defineFeature } from '../feature';
import { UeConference } from './facade';

export const conferenceFeature = defineFeature({
  name: 'group chat',
  start: (ctx) => UeConference.start(ctx),
  handlers: {
    conferenceCreate: (c, r) => c.create(r),
    conferenceJoin: (c, r) => c.join(r),
    conferenceAccept: (c, r) => c.accept(r),
    conferenceDecline: (c, r) => c.decline(r),
    conferenceInvite: (c, r) => c.invite(r),
    conferenceNick: (c, r) => c.nick(r),
    conferenceSend: (c, r) => c.send(r),
    conferenceSendPrivate: (c, r) => c.sendPrivate(r),
    conferenceLeave: (c, r) => c.leave(r),
    conferenceList: (c) => c.list(),
    conferenceMessages: (c, r) => c.messages(r),
  },
  idle: { conferenceList: async () => [] },
});
