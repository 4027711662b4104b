/**
 * POS exception-based reporting: the loss-prevention rules POS exception reports are known for,
 * evaluated per operator per business day (the site's business day: POSLog's BusinessDayDate,
 * or the local date in the site's time zone). Pure: the POSLog translator collects one
 * `PosTxFact` per transaction and hands them here at the end of the file.
 *
 * Rules (policy `pos.exceptions`, each with its threshold; a rule fires when the observed value is
 * strictly greater than its threshold):
 *
 *   voidRate               line voids / lines rung (voided lines included), once the operator
 *                          rang at least `minLines` lines that day          -> pos.void
 *   noSales                drawer opened without a sale                       -> pos.no_sale
 *   refundsWithoutReceipt  return lines that name no original transaction     -> pos.refund
 *   ownSaleRefunds         return lines whose original transaction the same
 *                          operator rang (known from the same file)           -> pos.refund
 *   priceOverrides         lines whose price was overridden                   -> pos.price_override
 *   managerOverrides       transactions carrying a supervisor/manager override -> pos.price_override
 *   paidOuts               paid-outs from the drawer (count, or total amount
 *                          over `maxAmount`)                                  -> pos.cash_shortage
 *
 * Each firing is one exception: the transactions concerned are its evidence, and the money they
 * moved (exact, per line) is its amount. Evidence items carry the key of the line event they
 * duplicate (`posLineKey`), so an incident counts each line's money once even when the line event
 * and the exception both join it (domain/assessment.ts).
 */
import { fromMinor, toMinor } from './money.js';

/** Thresholds of the exception rules (policy `pos.exceptions`). */
export interface PosExceptionPolicy {
  enabled: boolean;
  voidRate: { threshold: number; minLines: number };
  noSales: { max: number };
  refundsWithoutReceipt: { max: number };
  ownSaleRefunds: { max: number };
  priceOverrides: { max: number };
  managerOverrides: { max: number };
  paidOuts: { max: number; maxAmount: string };
}

export type PosExceptionRule = 'voidRate' | 'noSales' | 'refundsWithoutReceipt' | 'ownSaleRefunds' | 'priceOverrides' | 'managerOverrides' | 'paidOuts';

/** The CONTRACT event type each rule's exception is reported as. */
export const RULE_EVENT_TYPE: Record<PosExceptionRule, 'void' | 'no_sale' | 'refund' | 'price_override' | 'cash_shortage'> = {
  voidRate: 'void',
  noSales: 'no_sale',
  refundsWithoutReceipt: 'refund',
  ownSaleRefunds: 'refund',
  priceOverrides: 'price_override',
  managerOverrides: 'price_override',
  paidOuts: 'cash_shortage',
};

/** A line of a transaction that moved money: its key (see posLineKey) and its amount (decimal text, >= 0). */
export interface PosLine {
  key: string;
  amount?: string;
}

/** What the rules need to know of one POS transaction. */
export interface PosTxFact {
  /** "store/workstation/sequence". */
  id: string;
  operator: string;
  businessDay: string;
  site: string;
  device: string;
  occurredAt: string;
  currency: string;
  /** Sale and return lines rung, voided ones included. */
  linesRung: number;
  voids: PosLine[];
  noSale: boolean;
  /** Return lines; `original` is the "store/workstation/sequence" of the receipt, when named. */
  refunds: (PosLine & { original?: string })[];
  priceOverrides: PosLine[];
  /** A supervisor/manager override in the transaction: the lines it covered. */
  managerOverride?: PosLine[];
  paidOuts: PosLine[];
}

/** One rule that fired for one operator on one business day. */
export interface PosException {
  rule: PosExceptionRule;
  type: (typeof RULE_EVENT_TYPE)[PosExceptionRule];
  operator: string;
  businessDay: string;
  site: string;
  /** Device and time of the last transaction concerned (where and when the exception surfaces). */
  device: string;
  occurredAt: string;
  /** What was measured and the threshold it went over. */
  observed: number | string;
  threshold: number | string;
  /** Transactions concerned ("store/workstation/sequence"), in file order. */
  transactions: string[];
  /** The money lines concerned, each once. */
  evidence: { key: string; amount: string }[];
  /** Sum of the evidence amounts (exact), when any line carried money. */
  amount?: { value: string; currency: string };
  /** Rule-specific counts (void rate: voids and lines). */
  counts: Record<string, number>;
}

/** The key of a POS line event, shared by the line's event and an exception's evidence. */
export function posLineKey(store: string, workstation: string, sequence: string, line: string): string {
  return `${store}/${workstation}/${sequence}/${line}`;
}

/** Void rate of a day: voided lines over lines rung (0 when nothing was rung). */
export function voidRate(voids: number, linesRung: number): number {
  return linesRung <= 0 ? 0 : voids / linesRung;
}

/** Whether the void-rate rule fires: enough lines rung and a rate strictly above the threshold. */
export function voidRateFires(voids: number, linesRung: number, p: PosExceptionPolicy['voidRate']): boolean {
  return linesRung >= p.minLines && voidRate(voids, linesRung) > p.threshold;
}

/** Sums amounts exactly in one currency (minor units). */
export function sumAmounts(amounts: readonly string[], currency: string): string {
  let m = 0n;
  for (const a of amounts) m += toMinor(a, currency);
  return fromMinor(m, currency);
}

/** Evaluates every rule for every operator and business day. Deterministic: output ordered by operator, day, rule. */
export function evaluatePosExceptions(facts: readonly PosTxFact[], policy: PosExceptionPolicy, owners?: ReadonlyMap<string, string>): PosException[] {
  if (!policy.enabled) return [];
  // Who rang each transaction (own-sale refunds): given by the caller when `facts` holds only the
  // transactions that matter, else taken from the facts.
  const ownerOf = new Map<string, string>(owners ?? []);
  for (const f of facts) if (!ownerOf.has(f.id)) ownerOf.set(f.id, f.operator);
  const groups = new Map<string, PosTxFact[]>();
  for (const f of facts) {
    if (!f.operator) continue;
    const k = `${f.site}\u0000${f.operator}\u0000${f.businessDay}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(f);
  }
  const out: PosException[] = [];
  for (const k of [...groups.keys()].sort()) {
    const txs = groups.get(k)!;
    const currency = txs[0].currency;
    const fire = (
      rule: PosExceptionRule,
      picked: { tx: PosTxFact; lines: PosLine[] }[],
      observed: number | string,
      threshold: number | string,
      counts: Record<string, number>,
    ) => {
      const seen = new Set<string>();
      const evidence: { key: string; amount: string }[] = [];
      for (const p of picked) {
        for (const l of p.lines) {
          if (l.amount === undefined || seen.has(l.key) || p.tx.currency !== currency) continue;
          seen.add(l.key);
          evidence.push({ key: l.key, amount: l.amount });
        }
      }
      const last = picked.reduce((a, b) => (b.tx.occurredAt > a.tx.occurredAt ? b : a)).tx;
      const transactions = [...new Set(picked.map((p) => p.tx.id))];
      out.push({
        rule,
        type: RULE_EVENT_TYPE[rule],
        operator: last.operator,
        businessDay: last.businessDay,
        site: last.site,
        device: last.device,
        occurredAt: last.occurredAt,
        observed,
        threshold,
        transactions,
        evidence,
        ...(evidence.length > 0 ? { amount: { value: sumAmounts(evidence.map((e) => e.amount), currency), currency } } : {}),
        counts,
      });
    };

    const voids = txs.reduce((n, t) => n + t.voids.length, 0);
    const lines = txs.reduce((n, t) => n + t.linesRung, 0);
    if (voids > 0 && voidRateFires(voids, lines, policy.voidRate)) {
      const rate = voidRate(voids, lines);
      fire(
        'voidRate',
        txs.filter((t) => t.voids.length > 0).map((tx) => ({ tx, lines: tx.voids })),
        Math.round(rate * 10000) / 10000,
        policy.voidRate.threshold,
        { voids, linesRung: lines },
      );
    }
    const countRule = (rule: PosExceptionRule, picked: { tx: PosTxFact; lines: PosLine[] }[], max: number, unit: number) => {
      if (unit > max) fire(rule, picked, unit, max, { count: unit });
    };
    const noSales = txs.filter((t) => t.noSale);
    countRule('noSales', noSales.map((tx) => ({ tx, lines: [] })), policy.noSales.max, noSales.length);

    const noReceipt = txs.map((tx) => ({ tx, lines: tx.refunds.filter((r) => r.original === undefined) })).filter((p) => p.lines.length > 0);
    countRule('refundsWithoutReceipt', noReceipt, policy.refundsWithoutReceipt.max, noReceipt.reduce((n, p) => n + p.lines.length, 0));

    const own = txs
      .map((tx) => ({ tx, lines: tx.refunds.filter((r) => r.original !== undefined && ownerOf.get(r.original) === tx.operator) }))
      .filter((p) => p.lines.length > 0);
    countRule('ownSaleRefunds', own, policy.ownSaleRefunds.max, own.reduce((n, p) => n + p.lines.length, 0));

    const po = txs.filter((t) => t.priceOverrides.length > 0).map((tx) => ({ tx, lines: tx.priceOverrides }));
    countRule('priceOverrides', po, policy.priceOverrides.max, po.reduce((n, p) => n + p.lines.length, 0));

    const mo = txs.filter((t) => t.managerOverride !== undefined).map((tx) => ({ tx, lines: tx.managerOverride! }));
    countRule('managerOverrides', mo, policy.managerOverrides.max, mo.length);

    const paid = txs.filter((t) => t.paidOuts.length > 0).map((tx) => ({ tx, lines: tx.paidOuts }));
    const paidCount = paid.reduce((n, p) => n + p.lines.length, 0);
    if (paidCount > 0) {
      const total = sumAmounts(
        paid.flatMap((p) => p.lines.map((l) => l.amount ?? '0')),
        currency,
      );
      const overAmount = toMinor(total, currency) > toMinor(policy.paidOuts.maxAmount, currency);
      if (paidCount > policy.paidOuts.max) fire('paidOuts', paid, paidCount, policy.paidOuts.max, { count: paidCount });
      else if (overAmount) fire('paidOuts', paid, total, policy.paidOuts.maxAmount, { count: paidCount });
    }
  }
  return out;
}
