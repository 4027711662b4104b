/**
 * Builds NRF ARTS POSLog documents for tests (the element names the NCR sample uses), so a test
 * can plant a business day with known voids, no-sales, returns, overrides and paid-outs.
 */
export interface GenLine {
  kind: 'sale' | 'void' | 'return';
  amount: string;
  /** Return: the original transaction's sequence number (a receipt); absent = no receipt. */
  original?: number;
}

export interface GenTx {
  seq: number;
  operator: string;
  at: string; // local "2026-11-20T10:00:00"
  day?: string;
  store?: string;
  workstation?: string;
  lines?: GenLine[];
  noSale?: boolean;
  paidOut?: string;
  override?: string; // supervisor id
  signOn?: boolean;
}

function line(l: GenLine, i: number, store: string, ws: string): string {
  const seq = `<SequenceNumber>${i + 1}</SequenceNumber>`;
  const item = `<ItemID>000${i}</ItemID><Description>ITEM ${i}</Description><Quantity>1</Quantity>`;
  if (l.kind === 'sale') return `<LineItem>${seq}<Sale ItemType="Stock">${item}<ExtendedAmount>${l.amount}</ExtendedAmount></Sale></LineItem>`;
  if (l.kind === 'void') return `<LineItem VoidFlag="true">${seq}<Sale ItemType="Stock">${item}<ExtendedAmount>-${l.amount}</ExtendedAmount></Sale></LineItem>`;
  const link =
    l.original !== undefined
      ? `<TransactionLink ReasonCode="Return"><RetailStoreID>${store}</RetailStoreID><WorkstationID>${ws}</WorkstationID><SequenceNumber>${l.original}</SequenceNumber></TransactionLink>`
      : '';
  return `<LineItem>${seq}<Return>${item}<ExtendedAmount>-${l.amount}</ExtendedAmount>${link}</Return></LineItem>`;
}

export function poslog(txs: GenTx[]): string {
  const body = txs
    .map((t) => {
      const store = t.store ?? '101';
      const ws = t.workstation ?? '1';
      const head = `<RetailStoreID>${store}</RetailStoreID><WorkstationID>${ws}</WorkstationID><SequenceNumber>${t.seq}</SequenceNumber><BusinessDayDate>${t.day ?? t.at.slice(0, 10)}</BusinessDayDate><EndDateTime>${t.at}</EndDateTime><OperatorID OperatorName="Op ${t.operator}">${t.operator}</OperatorID><CurrencyCode>USD</CurrencyCode>`;
      if (t.noSale) return `<Transaction>${head}<ControlTransaction><NoSale/><ReasonCode>Drawer</ReasonCode></ControlTransaction></Transaction>`;
      if (t.signOn) return `<Transaction>${head}<ControlTransaction><OperatorSignOn><StartDateTimestamp>${t.at}</StartDateTimestamp></OperatorSignOn></ControlTransaction></Transaction>`;
      if (t.paidOut) return `<Transaction>${head}<TenderControlTransaction><PaidOut><Amount>${t.paidOut}</Amount><Reason>Supplies</Reason></PaidOut></TenderControlTransaction></Transaction>`;
      const ov = t.override ? `<acs:SupervisorOverride>${t.override}</acs:SupervisorOverride>` : '';
      return `<Transaction>${head}<RetailTransaction Version="2.1">${(t.lines ?? []).map((l, i) => line(l, i, store, ws)).join('')}${ov}</RetailTransaction></Transaction>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<POSLog xmlns="http://www.nrf-arts.org/IXRetail/namespace/" xmlns:acs="http://www.ncr.com/rsd/acs/tlog/markup/poslog/2.1">\n${body}\n</POSLog>\n`;
}
