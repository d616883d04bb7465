// Connection setup roles for MSRP (RFC 6135 s.4, RFC 4145 a=setup): who connects, who accepts.
import { ParleyError } from '../../base/errors';

export type SetupAttr = 'active' | 'passive' | 'actpass' | 'holdconn';
export type ConnectionRole = 'active' | 'passive';

/**
 * Roles of both parties from the a=setup values of offer and answer.
 * - Offer without a=setup: treated as actpass (RFC 6135 s.4.2 backwards compatibility with RFC 4975 endpoints).
 * - Answer without a=setup: the answerer is active (RFC 4975 s.5.4: the answerer opens the connection).
 * - actpass in the offer and actpass/absent in the answer: answerer active.
 * Incompatible pairs (active/active, passive/passive, holdconn) raise MSRP_SETUP_CONFLICT.
 */
export function negotiateSetup(
  offer: SetupAttr | undefined,
  answer: SetupAttr | undefined,
): { offerer: ConnectionRole; answerer: ConnectionRole } {
  const o = offer ?? 'actpass';
  let a: SetupAttr | undefined = answer;
  if (a === undefined || a === 'actpass') a = o === 'active' ? 'passive' : 'active';
  if (o === 'holdconn' || a === 'holdconn') throw new ParleyError('MSRP_SETUP_CONFLICT', 'holdconn: no connection to set up');
  const answerer = a as ConnectionRole;
  const offerer: ConnectionRole = answerer === 'active' ? 'passive' : 'active';
  if (o !== 'actpass' && o !== offerer) throw new ParleyError('MSRP_SETUP_CONFLICT', `a=setup conflict: offer ${o}, answer ${a}`);
  return { offerer, answerer };
}

/** What an answerer should put in a=setup for a given offer (we prefer active: no listening socket needed, NAT friendly). */
export function answerSetup(offer: SetupAttr | undefined): SetupAttr {
  const o = offer ?? 'actpass';
  if (o === 'active') return 'passive';
  if (o === 'holdconn') return 'holdconn';
  return 'active';
}
