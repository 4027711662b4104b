import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { capAlertsFromFeed, validateCap, validateCapMany } from '../../test/helpers/cap-validate.js';
import { capAlertXml, capFeedXml, capIdentifier, type CapIncident, type CapMessage } from './cap.js';

const CAP_DIR = new URL('../../../shared/data/cap/', import.meta.url);

const incident: CapIncident = {
  id: 'inc-0001',
  type: 'unauthorized_entry',
  band: 'critical',
  score: 87,
  status: 'open',
  siteId: 'store-101',
  siteName: 'Store 101 Downtown',
  zone: 'cash-office',
  zoneName: 'Cash office',
  openedAt: '2026-11-20T07:14:00.000Z',
  headline: 'Door forced at the cash office',
  description: 'Door door-co-1 forced at 02:14 local, outside business hours.',
  instruction: 'Dispatch the nearest guard; do not confront.',
  url: 'https://vigil.example.com/incidents/inc-0001',
  location: { lat: 40.7128, lon: -74.006 },
  netLoss: '850.00',
  currency: 'USD',
};

const alert: CapMessage = {
  identifier: capIdentifier('inc-0001', 0),
  sender: 'vigil@acme.example',
  sent: new Date('2026-11-20T07:14:05.123Z'),
  msgType: 'Alert',
  incident,
  timezone: 'America/New_York',
};

const update: CapMessage = {
  ...alert,
  identifier: capIdentifier('inc-0001', 1),
  sent: new Date('2026-11-20T07:20:00Z'),
  msgType: 'Update',
  references: [{ sender: alert.sender, identifier: alert.identifier, sent: alert.sent }],
  incident: { ...incident, status: 'acknowledged', band: 'high', score: 74 },
};

const cancel: CapMessage = {
  ...alert,
  identifier: capIdentifier('inc-0001', 2),
  sent: new Date('2026-11-20T09:00:00Z'),
  msgType: 'Cancel',
  references: [
    { sender: alert.sender, identifier: alert.identifier, sent: alert.sent },
    { sender: update.sender, identifier: update.identifier, sent: update.sent },
  ],
  incident: { ...incident, status: 'resolved' },
};

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: true /* decodes numeric references such as &#xD; */ });

/** The text of the first `<name>` element, unescaped. */
function field(xml: string, name: string): string | undefined {
  const m = xml.match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`));
  if (!m) return undefined;
  const doc = parser.parse(`<x>${m[1]}</x>`) as { x: unknown };
  return typeof doc.x === 'string' ? doc.x : doc.x === '' ? '' : String(doc.x);
}

async function expectValid(xml: string) {
  const res = await validateCap(xml);
  expect(res.errors).toEqual([]);
  expect(res.valid).toBe(true);
}

describe('validation harness (real CAP files)', () => {
  it('accepts the real alerts and rejects invalid.cap', async () => {
    const names = ['canada.cap', 'wcatwc-warning.cap', 'australia.cap', 'invalid.cap'];
    const docs = names.map((n) => readFileSync(new URL(n, CAP_DIR), 'utf8'));
    const [canada, wcatwc, australia, invalid] = await validateCapMany(docs);
    expect(canada!.valid).toBe(true);
    expect(wcatwc!.valid).toBe(true);
    expect(australia!.valid).toBe(true);
    expect(invalid!.valid).toBe(false);
    // invalid.cap lacks the required <scope>: the schema says so, not a parse failure.
    expect(invalid!.errors.join('\n')).toMatch(/scope/);
  });

  it('rejects a document that is not well-formed', async () => {
    expect((await validateCap('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>')).valid).toBe(false);
  });
});

describe('capAlertXml', () => {
  it('Alert is valid CAP 1.2 with the documented mapping', async () => {
    const xml = capAlertXml(alert);
    await expectValid(xml);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">')).toBe(true);
    expect(field(xml, 'identifier')).toBe('vigil-incident-inc-0001-0');
    // Site offset (EST in November), no fractional seconds, no "Z".
    expect(field(xml, 'sent')).toBe('2026-11-20T02:14:05-05:00');
    expect(field(xml, 'status')).toBe('Actual');
    expect(field(xml, 'msgType')).toBe('Alert');
    expect(field(xml, 'scope')).toBe('Restricted');
    expect(field(xml, 'restriction')).toBe('Vigil security operations');
    expect(field(xml, 'incidents')).toBe('inc-0001');
    expect(xml).not.toContain('<references>');
    expect(field(xml, 'category')).toBe('Security');
    expect(field(xml, 'event')).toBe('Unauthorized entry');
    expect(field(xml, 'responseType')).toBe('Execute');
    expect(field(xml, 'urgency')).toBe('Immediate');
    expect(field(xml, 'severity')).toBe('Extreme');
    expect(field(xml, 'certainty')).toBe('Observed');
    expect(field(xml, 'onset')).toBe('2026-11-20T02:14:00-05:00');
    expect(field(xml, 'senderName')).toBe('Vigil');
    expect(field(xml, 'web')).toBe('https://vigil.example.com/incidents/inc-0001');
    expect(xml).toMatch(/<valueName>VigilScore<\/valueName>\s*<value>87<\/value>/);
    expect(xml).toMatch(/<valueName>VigilBand<\/valueName>\s*<value>critical<\/value>/);
    expect(xml).toMatch(/<valueName>VigilNetLoss<\/valueName>\s*<value>850.00<\/value>/);
    expect(xml).toMatch(/<valueName>VigilCurrency<\/valueName>\s*<value>USD<\/value>/);
    expect(field(xml, 'areaDesc')).toBe('Store 101 Downtown — Cash office');
    expect(field(xml, 'circle')).toBe('40.7128,-74.006 0.1');
  });

  it('Update carries references as sender,identifier,sent triples', async () => {
    const xml = capAlertXml(update);
    await expectValid(xml);
    expect(field(xml, 'msgType')).toBe('Update');
    // The reference's sent is exactly the original alert's sent string.
    expect(field(xml, 'references')).toBe(`vigil@acme.example,vigil-incident-inc-0001-0,${field(capAlertXml(alert), 'sent')}`);
    expect(field(xml, 'severity')).toBe('Severe');
    expect(field(xml, 'urgency')).toBe('Expected');
  });

  it('Cancel is valid, all-clear, and references every earlier message', async () => {
    const xml = capAlertXml(cancel);
    await expectValid(xml);
    expect(field(xml, 'msgType')).toBe('Cancel');
    expect(field(xml, 'responseType')).toBe('AllClear');
    expect(field(xml, 'urgency')).toBe('Past');
    expect(field(xml, 'note')).toBe('Vigil incident inc-0001 is resolved');
    expect(field(xml, 'references')!.split(' ')).toHaveLength(2);
  });

  it('writes UTC as -00:00 (CAP forbids "Z") when no or an unknown time zone is given', async () => {
    const xml = capAlertXml({ ...alert, timezone: undefined });
    expect(field(xml, 'sent')).toBe('2026-11-20T07:14:05-00:00');
    expect(field(capAlertXml({ ...alert, timezone: 'Not/AZone' }), 'sent')).toBe('2026-11-20T07:14:05-00:00');
    expect(field(capAlertXml({ ...alert, timezone: 'Asia/Kolkata' }), 'sent')).toBe('2026-11-20T12:44:05+05:30');
    await expectValid(xml);
  });

  it('escapes hostile text, strips XML-invalid control characters, keeps emoji, and stays valid', async () => {
    const hostile = `<script>alert("x")</script> & 'quotes' ]]> \u0000\u0001\u0008\u000b\u000c\u001f\ufffe\ud800 bell\u0007 🚨👩‍👩‍👧`;
    const msg: CapMessage = {
      ...alert,
      identifier: 'id with spaces,comma<&',
      sender: 'a b',
      incident: {
        ...incident,
        id: 'inc 1,&<',
        headline: hostile,
        description: `${hostile}\r\nline two`,
        instruction: hostile,
        siteName: hostile,
        zoneName: hostile,
        zone: hostile,
        status: hostile,
        netLoss: hostile,
        currency: hostile,
        url: 'javascript:alert(1)',
      },
    };
    const xml = capAlertXml(msg);
    await expectValid(xml);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe]/);
    expect(xml).not.toContain('<web>'); // only http(s) URLs are published
    expect(field(xml, 'identifier')).toBe('id_with_spaces_comma__');
    expect(field(xml, 'incidents')).toBe('inc_1___');
    // Round trip: what a parser reads back is the input minus the invalid characters (CR kept).
    expect(field(xml, 'description')).toBe(
      `<script>alert("x")</script> & 'quotes' ]]>  bell 🚨👩‍👩‍👧\r\nline two`,
    );
    expect(field(xml, 'headline')).toBe(`<script>alert("x")</script> & 'quotes' ]]> bell 🚨👩‍👩‍👧`);
  });

  it('truncates the headline to 160 characters without splitting an emoji', async () => {
    const long = 'a'.repeat(158) + '👩‍👩‍👧' + 'b'.repeat(50);
    const xml = capAlertXml({ ...alert, incident: { ...incident, headline: long } });
    const headline = field(xml, 'headline')!;
    expect([...headline].length).toBeLessThanOrEqual(160);
    expect(headline).toBe('a'.repeat(158) + '…');
    await expectValid(xml);
  });

  it('omits what is unknown: no zone, no location, no loss, no instruction, no url', async () => {
    const { zone: _z, zoneName: _zn, location: _l, netLoss: _n, currency: _c, instruction: _i, url: _u, ...bare } = incident;
    const xml = capAlertXml({ ...alert, incident: { ...bare, type: 'suspicious_activity', band: 'low', openedAt: 'not a date' } });
    await expectValid(xml);
    expect(field(xml, 'areaDesc')).toBe('Store 101 Downtown');
    expect(xml).not.toMatch(/<circle>|<instruction>|<web>|VigilNetLoss|<onset>/);
    expect(field(xml, 'certainty')).toBe('Likely');
    expect(field(xml, 'severity')).toBe('Minor');
  });

  it('is deterministic', () => {
    expect(capAlertXml(update)).toBe(capAlertXml(structuredClone(update)));
  });

  it('capIdentifier refuses a bad sequence', () => {
    expect(capIdentifier('inc-9', 3)).toBe('vigil-incident-inc-9-3');
    expect(() => capIdentifier('inc-9', -1)).toThrow(RangeError);
    expect(() => capIdentifier('inc-9', 1.5)).toThrow(RangeError);
  });
});

describe('capFeedXml', () => {
  const feed = capFeedXml({
    id: 'urn:vigil:cap-feed',
    title: 'Vigil <incidents> & alerts',
    updated: new Date('2026-11-20T09:00:00.500Z'),
    selfUrl: 'https://vigil.example.com/api/v1/alerts/cap?x=1&y=2',
    alerts: [cancel, update, alert],
  });

  it('is a well-formed Atom feed with one CAP entry per message', () => {
    expect(XMLValidator.validate(feed)).toBe(true);
    const doc = parser.parse(feed) as { feed: { '@_xmlns': string; entry: { content: { '@_type': string; alert: unknown } }[]; updated: string } };
    expect(doc.feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(doc.feed.updated).toBe('2026-11-20T09:00:00Z');
    expect(doc.feed.entry).toHaveLength(3);
    for (const e of doc.feed.entry) {
      expect(e.content['@_type']).toBe('application/cap+xml');
      expect(e.content.alert).toBeTypeOf('object'); // XML child, not escaped text
    }
    expect(feed).toContain('href="https://vigil.example.com/api/v1/alerts/cap?x=1&amp;y=2"');
  });

  it('every embedded alert validates on its own, in feed order', async () => {
    const alerts = capAlertsFromFeed(feed);
    expect(alerts.map((a) => field(a, 'msgType'))).toEqual(['Cancel', 'Update', 'Alert']);
    const results = await validateCapMany(alerts);
    for (const r of results) expect(r).toEqual({ valid: true, errors: [] });
  });

  it('an empty feed is well-formed', () => {
    const empty = capFeedXml({ id: 'urn:vigil:cap-feed', title: 'Vigil', updated: new Date(0), alerts: [] });
    expect(XMLValidator.validate(empty)).toBe(true);
    expect(capAlertsFromFeed(empty)).toEqual([]);
  });
});

describe('property: any text still gives valid CAP', () => {
  // Any code point, including lone surrogates and XML-invalid controls.
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)), maxLength: 200 });
  const mixed = fc.oneof(anyText, fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constantFrom('<', '&', ']]>', '"\'', '\u0000', ''));

  it('headline, description, zone and site names, ids (alone and inside the feed)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          headline: mixed,
          description: mixed,
          zoneName: mixed,
          siteName: mixed,
          zone: mixed,
          id: mixed,
          identifier: mixed,
          url: mixed,
          msgType: fc.constantFrom('Alert' as const, 'Update' as const, 'Cancel' as const),
        }),
        async (c) => {
          const msg: CapMessage = {
            ...update,
            identifier: c.identifier,
            msgType: c.msgType,
            references: [{ sender: c.identifier, identifier: c.id, sent: alert.sent }],
            incident: { ...incident, headline: c.headline, description: c.description, zoneName: c.zoneName, siteName: c.siteName, zone: c.zone, id: c.id, url: c.url },
          };
          const xml = capAlertXml(msg);
          const feed = capFeedXml({ id: 'urn:vigil:cap-feed', title: c.headline, updated: alert.sent, selfUrl: c.url, alerts: [msg] });
          expect(XMLValidator.validate(feed)).toBe(true);
          expect([...(field(xml, 'headline') ?? '')].length).toBeLessThanOrEqual(160);
          // One xmllint run per case for the alert and the alert extracted from the feed.
          const results = await validateCapMany([xml, ...capAlertsFromFeed(feed)]);
          expect(results).toEqual([{ valid: true, errors: [] }, { valid: true, errors: [] }]);
        },
      ),
      { numRuns: 25 }, // xmllint-wasm starts a worker per run
    );
  });
});
