/**
 * What an SMS reply asks for: a word, then the code from the alert. "ACK 4821" acknowledges an
 * incident (its lead's code) or a patrol (the last six characters of the patrol id, as the patrol
 * order says); the guard reports the later stages of a patrol the same way, so a guard without
 * the dashboard can run the whole patrol from the phone:
 *
 *   ACK | ACKNOWLEDGE | OK            acknowledge
 *   ENROUTE | EN ROUTE | EN-ROUTE | OMW   en route
 *   ONSITE | ON SITE | ON-SITE | ARRIVED  on site
 *   DONE | COMPLETE | COMPLETED | CLEAR   complete
 *
 * Case and extra spaces do not matter; anything else is not a reply (the webhook answers with the
 * words it knows). Pure: no I/O.
 */
import type { PatrolApiAction } from './patrol-lifecycle.js';

/** A parsed reply: the action asked for and the code it names (lower case). */
export interface SmsReply {
  action: PatrolApiAction;
  code: string;
}

const WORDS: readonly { re: RegExp; action: PatrolApiAction }[] = [
  { re: /^(?:ACK|ACKNOWLEDGE|OK)$/, action: 'acknowledge' },
  { re: /^(?:EN[\s-]*ROUTE|OMW)$/, action: 'en-route' },
  { re: /^(?:ON[\s-]*SITE|ARRIVED)$/, action: 'on-site' },
  { re: /^(?:DONE|COMPLETED?|CLEAR)$/, action: 'complete' },
];

/** The reply words, for the help text of the webhook's answer. */
export const SMS_REPLY_HELP = 'ACK, ENROUTE, ONSITE or DONE followed by the code in the message';

/** Parses an SMS body like "on site 3f9a2c"; undefined when it is not a reply Vigil understands. */
export function parseSmsReply(body: string): SmsReply | undefined {
  const m = /^\s*([A-Za-z][A-Za-z\s-]{0,19}?)\s+([A-Za-z0-9-]{4,12})\s*[.!]?\s*$/.exec(body);
  if (!m) return undefined;
  const word = m[1].trim().toUpperCase().replace(/\s+/g, ' ');
  const hit = WORDS.find((w) => w.re.test(word));
  return hit ? { action: hit.action, code: m[2].toLowerCase() } : undefined;
}
