// The composition root's list of features (docs/architecture.md "Adding a feature"): one line each. Every feature here
// is started for each signed-in account with its FeatureContext, and its handlers become methods of the UE's backend.
import { sessionFeature } from '../features/session/feature';
import { filesFeature } from '../features/transfer/feature';
import { conferenceFeature } from '../features/conference/feature';

export const FEATURES = [
  sessionFeature, // session mode: MSRP chat sessions (the default INVITE route), a chat transport for messages.send
  filesFeature, // files.*: RFC 5547 file transfer (file-offer INVITEs)
  conferenceFeature, // conference.*: chat rooms through a focus (focus invitations)
] as const;
