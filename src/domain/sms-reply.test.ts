import { describe, expect, it } from 'vitest';
import { parseSmsReply } from './sms-reply.js';

describe('parseSmsReply', () => {
  it('reads the acknowledgement as before ("ACK 4821", any case)', () => {
    expect(parseSmsReply('ACK 4821')).toEqual({ action: 'acknowledge', code: '4821' });
    expect(parseSmsReply('  ack   AB12cd ')).toEqual({ action: 'acknowledge', code: 'ab12cd' });
    expect(parseSmsReply('Acknowledge 4821')).toEqual({ action: 'acknowledge', code: '4821' });
    expect(parseSmsReply('ok 4821')).toEqual({ action: 'acknowledge', code: '4821' });
  });

  it('reads the later patrol stages in their spellings', () => {
    for (const w of ['ENROUTE', 'en route', 'En-Route', 'omw', 'EN  ROUTE']) expect(parseSmsReply(`${w} 3f9a2c`)).toEqual({ action: 'en-route', code: '3f9a2c' });
    for (const w of ['ONSITE', 'on site', 'On-Site', 'arrived']) expect(parseSmsReply(`${w} 3f9a2c`)).toEqual({ action: 'on-site', code: '3f9a2c' });
    for (const w of ['DONE', 'complete', 'Completed', 'clear']) expect(parseSmsReply(`${w} 3f9a2c.`)).toEqual({ action: 'complete', code: '3f9a2c' });
  });

  it('refuses anything else', () => {
    for (const body of ['', 'ACK', '4821', 'yes 4821', 'ACK 12', 'ACK 4821 please', 'DONE 3f9a2c 3f9a2c', 'ACK <script>', 'route 3f9a2c', 'site 3f9a2c', 'not done 3f9a2c'])
      expect(parseSmsReply(body), body).toBeUndefined();
  });
});
