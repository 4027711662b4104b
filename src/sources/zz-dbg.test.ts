import { test } from 'vitest';
import { parseCsvText } from './csv-file.js';
test('d', async () => {
  for (const text of [[
      'source,type,occurredAt,site,amount,details',
      'pos,void,2026-11-20T10:00:00Z,store-1,12.5,',
      'pos,void,yesterday,store-1,abc,{"a":1}',
      'pos,void,2026-11-20T10:00:00Z,store-1,,{not json}',
      'pos,void,2026-11-20T10:00:00Z',
      'pos,void,2026-11-20T10:00:00Z,store-1,1.00,',
    ].join('\n'), 'source,type,occurredAt,site\npos,void,2026-11-20T10:00:00Z,s\npos,"void"x,2026-11-20T10:00:00Z,s\n']) {
  for await (const r of parseCsvText(text, {}, { skipped: 0 })) console.log(JSON.stringify(r));
  }
});
