const RESULTS = ['Access Granted', 'GRANTED', 'granted', 'Denied'];

/** A generic-access-control export: mostly granted badge reads at the stockroom in business hours, both directions. */
export function accessExport(rows: number, idPrefix: string, badRow?: number): string {
  const lines = ['Timestamp,Badge,Door,Result,Direction,Event ID'];
  const start = Date.parse('2026-11-16T14:00:00Z');
  for (let i = 0; i < rows; i++) {
    const at = new Date(start + (i % 50_000) * 500).toISOString().replace('.000Z', 'Z');
    const result = i + 2 === badRow ? 'Exploded' : RESULTS[i % 7 === 0 ? 3 : i % 3];
    lines.push(`${at},B-${1000 + (i % 40)},cr-101-sr,${result},${i % 2 ? 'out' : 'in'},${idPrefix}${i}`);
  }
  return `${lines.join('\n')}\n`;
}

