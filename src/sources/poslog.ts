/**
 * POSLog (NRF ARTS IXRetail) XML: the transaction log a POS system exports. Loss-prevention
 * signals are mapped to `pos` events; normal sales, sign-ons and tender controls are skipped.
 *
 * Hostile input: POSLog arrives from store systems and uploads, so a DOCTYPE or ENTITY
 * declaration is refused outright (never expanded: no billion laughs, no external entities), and
 * only the five predefined XML entities and numeric character references are decoded.
 *
 * Streaming: a small scanner (poslog-splitter.ts) splits the document into top-level <Transaction> elements as bytes
 * arrive, and each transaction alone goes through fast-xml-parser, so memory is bounded by the
 * largest transaction, not the file (a chain-wide export can be gigabytes).
 *
 * Namespace prefixes (`acs:`, `poslog:`...) are stripped: the NCR ACS export mixes the ARTS
 * namespace with vendor extensions, and the element local names are what carries meaning.
 */
import { createReadStream } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Problem } from '../domain/errors.js';
import { localTime } from '../domain/local-time.js';
import { absDecimal, isDecimal } from '../domain/money.js';
import { evaluatePosExceptions, posLineKey, type PosException, type PosLine, type PosTxFact } from '../domain/pos-exceptions.js';
import { validateEvent } from './event-input.js';
import {
  DEFAULT_CURRENCY,
  isoWithZone,
  noteKind,
  noteSkip,
  slugId,
  type ParsedRow,
  type ParseOptions,
  type ParseStats,
} from './file-formats.js';
import { MAX_TRANSACTION_CHARS, TransactionSplitter, type SplitItem } from './poslog-splitter.js';

export { MAX_TRANSACTION_CHARS, TransactionSplitter, type SplitItem };

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined XML entities and numeric references; anything else stays literal. */
function decodeEntities(v: string): string {
  if (!v.includes('&')) return v;
  return v.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);/g, (all, e: string) => {
    if (e[0] !== '#') return PREDEFINED[e];
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

const ARRAY_TAGS = new Set(['LineItem', 'Total', 'RetailPriceModifier']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  processEntities: false, // DOCTYPE is refused before we get here; see decodeEntities
  htmlEntities: false,
  parseTagValue: false, // keep "00000000067591" and "2.90" as written
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ARRAY_TAGS.has(name),
  tagValueProcessor: (_name, value) => decodeEntities(value),
  attributeValueProcessor: (_name, value) => decodeEntities(value),
});

type Node = Record<string, unknown>;

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v) && '#text' in v) return text((v as Node)['#text']);
  return undefined;
}

function obj(v: unknown): Node | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Node;
  if (v === '') return {}; // <NoSale/> parses as ""
  return undefined;
}

function list(v: unknown): Node[] {
  if (Array.isArray(v)) return v.map((x) => obj(x) ?? {});
  const o = obj(v);
  return o ? [o] : [];
}

/** Finds the first descendant element with local name `name` (depth-first). */
function find(node: unknown, name: string, depth = 0): unknown {
  if (depth > 50 || !node || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const x of node) {
      const r = find(x, name, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  const n = node as Node;
  if (name in n) return n[name];
  for (const [k, v] of Object.entries(n)) {
    if (k.startsWith('@') || k === '#text') continue;
    const r = find(v, name, depth + 1);
    if (r !== undefined) return r;
  }
  return undefined;
}

const isTrue = (v: unknown) => text(v)?.toLowerCase() === 'true';

/** The line item kinds ARTS defines, in the order we look for them. */
const LINE_KINDS = ['Sale', 'Return', 'Tender', 'Discount', 'Tax', 'Fee', 'Deposit', 'PreviousCustomerOrder', 'CustomerOrderForDelivery'];

/**
 * Maps one parsed <Transaction> to raw events (before validation), or problems. `row` is the
 * transaction ordinal; paths are "Transaction[row].Element".
 *
 * - LineItem@VoidFlag="true" -> pos.void, amount |ExtendedAmount| (or the tender's Amount).
 * - LineItem/Return -> pos.refund, amount |ExtendedAmount|.
 * - LineItem with RetailPriceModifier -> pos.price_override, when the transaction carries an
 *   override/approval or the modifier replaces the price (Amount@Action="Replace"): promotions
 *   also use RetailPriceModifier and are not overrides.
 * - ControlTransaction/NoSale -> pos.no_sale.
 * - SupervisorOverride / ManagerApproval anywhere in the transaction -> details.override = true
 *   (and details.supervisor) on its events.
 * - Transaction@CancelFlag="true" -> details.cancelled = true on its events; a cancelled retail
 *   transaction with no other signal becomes one pos.void of the whole transaction (a cancelled
 *   basket is a void in loss-prevention terms), amount TransactionGrandAmount.
 * - Everything else (sales, sign-on/off, TenderControlTransaction paid-in/out, pickups): none.
 */
export function transactionToRaws(
  tx: Node,
  row: number,
  opts: ParseOptions,
): { raws: { raw: Record<string, unknown>; path: string }[]; problems: Problem[]; fact?: PosTxFact; kinds?: Record<string, number>; skipReason?: string } {
  const at = (p: string) => `Transaction[${row}].${p}`;
  const problems: Problem[] = [];
  const need = (field: string): string | undefined => {
    const v = text(tx[field]);
    if (v === undefined || v === '') problems.push({ path: at(field), message: `expected a ${field}`, row });
    return v;
  };
  const store = need('RetailStoreID');
  const workstation = need('WorkstationID');
  const sequence = need('SequenceNumber');
  const endText = text(tx.EndDateTime) ?? text(tx.BeginDateTime);
  let occurredAt: string | undefined;
  if (endText === undefined) problems.push({ path: at('EndDateTime'), message: 'expected an EndDateTime', row });
  else {
    occurredAt = isoWithZone(endText, opts.timezone ?? 'UTC');
    if (!occurredAt) problems.push({ path: at('EndDateTime'), message: `expected an ISO 8601 date-time like 2017-10-01T15:19:11, got ${JSON.stringify(endText)}`, row });
  }
  if (problems.length > 0 || !store || !workstation || !sequence || !occurredAt) return { raws: [], problems };

  const operatorNode = tx.OperatorID;
  const operator = text(operatorNode);
  const operatorName = obj(operatorNode)?.['@OperatorName'];
  const currency = text(tx.CurrencyCode) || opts.currency || DEFAULT_CURRENCY;
  const cancelled = isTrue(tx['@CancelFlag']);
  const base: Record<string, unknown> = {
    store,
    workstation,
    sequence,
    operator: operator ?? null,
    ...(typeof operatorName === 'string' ? { operatorName } : {}),
    ...(text(tx.BusinessDayDate) ? { businessDay: text(tx.BusinessDayDate) } : {}),
  };
  const device = `pos-${slugId(store)}-${slugId(workstation)}`;
  const site = opts.site ?? `store-${slugId(store)}`;
  const zone = opts.zoneOf?.(device);
  const out: { raw: Record<string, unknown>; path: string }[] = [];
  const txId = `${store}/${workstation}/${sequence}`;
  const businessDay = text(tx.BusinessDayDate) || localTime(new Date(occurredAt), opts.timezoneOf?.(site) ?? opts.timezone ?? 'UTC').date;
  const fact: PosTxFact = {
    id: txId,
    operator: operator ?? '',
    businessDay,
    site,
    device,
    occurredAt,
    currency,
    linesRung: 0,
    voids: [],
    noSale: false,
    refunds: [],
    priceOverrides: [],
    paidOuts: [],
  };
  const kinds: Record<string, number> = { transactions: 1 };
  const kind = (k: string, n = 1) => {
    if (n > 0) kinds[k] = (kinds[k] ?? 0) + n;
  };
  const kind_ = kind; // `kind` is the line kind inside the line-item loop
  let skipReason: string | undefined;
  // `path` names the element the event comes from, for validation messages.
  const emit = (type: string, path: string, lineSeq: string, amount: string | undefined, details: Record<string, unknown>) => {
    const raw: Record<string, unknown> = {
      source: 'pos',
      type,
      sourceEventId: `poslog-${slugId(store)}-${slugId(workstation)}-${slugId(sequence)}-${slugId(lineSeq)}`,
      occurredAt,
      site,
      device,
      details: { ...base, ...details },
    };
    if (zone) raw.zone = zone;
    if (amount !== undefined) raw.amount = { value: amount, currency };
    out.push({ raw, path: path ? at(path) : `Transaction[${row}]` });
  };
  const money = (v: unknown, path: string): string | undefined => {
    const t = text(v);
    if (t === undefined || t === '') return undefined;
    if (!isDecimal(t)) {
      problems.push({ path: at(path), message: `expected a decimal amount like -2.79, got ${JSON.stringify(t)}`, row });
      return undefined;
    }
    return absDecimal(t);
  };

  const rt = obj(tx.RetailTransaction);
  const ct = obj(tx.ControlTransaction);
  if (rt) {
    const supervisor = text(find(rt, 'SupervisorOverride'));
    const approval = find(rt, 'ManagerApproval');
    const override = supervisor !== undefined || (approval !== undefined && text(approval)?.toLowerCase() !== 'false');
    const flags: Record<string, unknown> = {
      ...(override ? { override: true } : {}),
      ...(supervisor ? { supervisor } : {}),
      ...(cancelled || isTrue(rt['@CancelFlag']) ? { cancelled: true } : {}),
    };
    kind('retail transactions');
    if (flags.cancelled) kind('cancels');
    if (override) kind('overrides');
    const items = list(rt.LineItem);
    const moneyLines: PosLine[] = [];
    items.forEach((li, i) => {
      const lineSeq = text(li.SequenceNumber) || String(i + 1);
      const kind = LINE_KINDS.find((k) => k in li);
      const body = kind ? obj(li[kind]) ?? {} : {};
      const path = `LineItem[${i}]`;
      const item = {
        lineSequence: lineSeq,
        ...(kind ? { lineKind: kind } : {}),
        ...(text(body.ItemID) ? { itemId: text(body.ItemID) } : {}),
        ...(text(body.Description) ? { description: text(body.Description) } : {}),
        ...(text(body.Quantity) ? { quantity: text(body.Quantity) } : {}),
      };
      const key = posLineKey(store, workstation, sequence, lineSeq);
      if (kind === 'Sale' || kind === 'Return') fact.linesRung++;
      if (isTrue(li['@VoidFlag'])) {
        const amount = kind === 'Tender' ? money(body.Amount, `${path}.Tender.Amount`) : money(body.ExtendedAmount, `${path}.${kind ?? ''}.ExtendedAmount`);
        emit('void', path, lineSeq, amount, { ...item, ...flags });
        kind_('line voids');
        fact.voids.push({ key, ...(amount !== undefined ? { amount } : {}) });
        moneyLines.push({ key, ...(amount !== undefined ? { amount } : {}) });
        return;
      }
      if (kind === 'Return') {
        const amount = money(body.ExtendedAmount, `${path}.Return.ExtendedAmount`);
        const link = obj(find(body, 'TransactionLink')) ?? obj(find(li, 'TransactionLink'));
        const original = link && text(link.SequenceNumber) ? `${text(link.RetailStoreID) || store}/${text(link.WorkstationID) || workstation}/${text(link.SequenceNumber)}` : undefined;
        emit('refund', path, lineSeq, amount, {
          ...item,
          ...flags,
          ...(text(body.Reason) ? { reason: text(body.Reason) } : {}),
          ...(original ? { originalTransaction: original } : { withoutReceipt: true }),
        });
        kind_('returns');
        fact.refunds.push({ key, ...(amount !== undefined ? { amount } : {}), ...(original ? { original } : {}) });
        moneyLines.push({ key, ...(amount !== undefined ? { amount } : {}) });
        return;
      }
      const modifiers = list(body.RetailPriceModifier);
      const replaced = modifiers.some((m) => obj(m.Amount)?.['@Action'] === 'Replace');
      if (modifiers.length > 0 && (override || replaced)) {
        const m = modifiers[0];
        const amount = money(m.Amount, `${path}.${kind}.RetailPriceModifier.Amount`);
        kind_('price overrides');
        fact.priceOverrides.push({ key, ...(amount !== undefined ? { amount } : {}) });
        moneyLines.push({ key, ...(amount !== undefined ? { amount } : {}) });
        emit('price_override', path, lineSeq, amount, {
          ...item,
          ...flags,
          ...(text(m.PreviousPrice) ? { previousPrice: text(m.PreviousPrice) } : {}),
          ...(text(m.NewPrice) ? { newPrice: text(m.NewPrice) } : {}),
          ...(text(m.ReasonCode) ? { reasonCode: text(m.ReasonCode) } : {}),
        });
      }
    });
    if (out.length === 0 && flags.cancelled) {
      const grand = list(rt.Total).find((t) => t['@TotalType'] === 'TransactionGrandAmount');
      const amount = grand ? money(grand, 'Total[@TotalType=TransactionGrandAmount]') : undefined;
      emit('void', '', 'txn', amount, { ...flags, voidScope: 'transaction', lineSequence: 'txn' });
      const key = posLineKey(store, workstation, sequence, 'txn');
      fact.voids.push({ key, ...(amount !== undefined ? { amount } : {}) });
      moneyLines.push({ key, ...(amount !== undefined ? { amount } : {}) });
    }
    if (override) fact.managerOverride = moneyLines;
    if (out.length === 0) skipReason = 'sale with no void, return, price override or cancel';
  } else if (ct) {
    kind('control transactions');
    if ('NoSale' in ct) {
      kind('no-sales');
      fact.noSale = true;
      emit('no_sale', 'ControlTransaction.NoSale', 'nosale', undefined, {
        ...(text(ct.ReasonCode) ? { reasonCode: text(ct.ReasonCode) } : {}),
        ...(cancelled ? { cancelled: true } : {}),
      });
    } else {
      const what = Object.keys(ct).find((k) => !k.startsWith('@') && k !== '#text' && k !== 'ReasonCode');
      skipReason = `control transaction${what ? ` (${what})` : ''}: not a loss-prevention signal`;
    }
  } else {
    const tct = obj(tx.TenderControlTransaction);
    if (tct) {
      kind('tender control transactions');
      const paidOut = find(tct, 'PaidOut');
      if (paidOut !== undefined) {
        kind('paid-outs');
        const amount = money(find(paidOut, 'Amount') ?? find(tct, 'Amount'), 'TenderControlTransaction.PaidOut.Amount');
        fact.paidOuts.push({ key: posLineKey(store, workstation, sequence, 'paidout'), ...(amount !== undefined ? { amount } : {}) });
        skipReason = 'paid-out: counted for the paid-out rule, not an event by itself';
      } else {
        const what = Object.keys(tct).find((k) => !k.startsWith('@') && k !== '#text' && /^[A-Z]/.test(k) && !['TenderID', 'Amount', 'Reason', 'ReasonCode'].includes(k));
        skipReason = `tender control transaction${what ? ` (${what})` : ''}: not a loss-prevention signal`;
      }
    } else {
      const what = Object.keys(tx).find((k) => /Transaction$/.test(k));
      skipReason = `transaction of another kind${what ? ` (${what})` : ''}: not a loss-prevention signal`;
    }
  }
  if (problems.length > 0) return { raws: [], problems };
  return { raws: out, problems: [], fact, kinds, ...(skipReason && out.length === 0 ? { skipReason } : {}) };
}

/** XML 1.0 `Char`: what a character reference may name. Anything else makes the document not XML. */
function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/**
 * Character references that name no XML character (`&#xD800;`, `&#0;`): decoded, they would be a
 * lone surrogate or a NUL that the store cannot hold. Each is named by transaction and by the
 * element it sits in (at most 20 per transaction).
 */
function badCharacterReferences(xml: string, row: number): Problem[] {
  const out: Problem[] = [];
  if (!xml.includes('&#')) return out;
  for (const m of xml.matchAll(/&#(x[0-9a-fA-F]+|[0-9]+);/g)) {
    const code = m[1][0] === 'x' ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
    if (isXmlChar(code)) continue;
    const what =
      code === 0
        ? 'U+0000 (NUL)'
        : code >= 0xd800 && code <= 0xdfff
          ? 'half of a UTF-16 surrogate pair (a lone surrogate)'
          : code > 0x10ffff
            ? 'a code point beyond U+10FFFF'
            : `the control or non-character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    const tags = [...xml.slice(Math.max(0, m.index - 4096), m.index).matchAll(/<([A-Za-z_][\w.:-]*)/g)];
    const name = tags.length > 0 ? tags[tags.length - 1][1] : undefined;
    const local = name?.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    out.push({
      path: local && local !== 'Transaction' ? `Transaction[${row}].${local}` : `Transaction[${row}]`,
      message: `character reference ${m[0]} names ${what}, which is not an XML character and cannot be stored`,
      row,
    });
    if (out.length >= 20) break;
  }
  return out;
}

/** Parses one transaction's XML and maps it to validated rows; an empty list means "not an event". */
function transactionRows(xml: string, row: number, opts: ParseOptions, state: ReaderState, stats: ParseStats): ParsedRow[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return [{ row, problems: [{ path: `Transaction[${row}]`, message: `malformed XML: ${valid.err.msg}`, row }] }];
  }
  const refs = badCharacterReferences(xml, row);
  if (refs.length > 0) return [{ row, problems: refs }];
  const tx = obj((parser.parse(xml) as Node).Transaction) ?? {};
  const { raws, problems, fact, kinds, skipReason } = transactionToRaws(tx, row, opts);
  if (problems.length > 0) return [{ row, problems }];
  if (kinds) {
    for (const [k, n] of Object.entries(kinds)) noteKind(stats, k, n);
    const op = fact?.operator || '(none)';
    const per = ((stats.byOperator ??= {})[op] ??= {});
    for (const [k, n] of Object.entries(kinds)) per[k] = (per[k] ?? 0) + n;
  }
  if (fact && opts.posExceptions?.enabled) state.add(fact, row);
  if (raws.length === 0) {
    noteSkip(stats, skipReason ?? 'not a loss-prevention signal', row);
    return [];
  }
  return raws.map(({ raw, path }) => ({ row, ...validateEvent(raw, path, row, opts.refs) }));
}

/**
 * What a POSLog read remembers for the exception rules: the transactions that carry a signal in
 * full, and for the others only who rang them and how many lines (memory stays small for a
 * chain-wide export).
 */
class ReaderState {
  readonly facts: PosTxFact[] = [];
  readonly owners = new Map<string, string>();
  fatal = false;
  private readonly lines = new Map<string, PosTxFact>();
  lastRow = 0;
  add(f: PosTxFact, row: number): void {
    this.lastRow = row;
    if (f.operator) this.owners.set(f.id, f.operator);
    const signal = f.voids.length > 0 || f.refunds.length > 0 || f.priceOverrides.length > 0 || f.noSale || f.managerOverride !== undefined || f.paidOuts.length > 0;
    if (signal) {
      this.facts.push(f);
      return;
    }
    if (f.linesRung === 0 || !f.operator) return;
    const k = `${f.site}\u0000${f.operator}\u0000${f.businessDay}`;
    const carrier = this.lines.get(k);
    if (carrier) carrier.linesRung += f.linesRung;
    else {
      const c: PosTxFact = { ...f, id: `lines:${k}`, voids: [], refunds: [], priceOverrides: [], paidOuts: [] };
      this.lines.set(k, c);
      this.facts.push(c);
    }
  }
}

/** The pos event an exception becomes (before validation). */
export function exceptionToRaw(x: PosException, opts: ParseOptions): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    source: 'pos',
    type: x.type,
    sourceEventId: `posx-${slugId(x.rule)}-${slugId(x.site)}-${slugId(x.operator)}-${x.businessDay}`,
    occurredAt: x.occurredAt,
    site: x.site,
    device: x.device,
    details: {
      posException: true,
      rule: x.rule,
      operator: x.operator,
      businessDay: x.businessDay,
      observed: x.observed,
      threshold: x.threshold,
      counts: x.counts,
      transactions: x.transactions,
      evidence: x.evidence,
    },
  };
  const zone = opts.zoneOf?.(x.device);
  if (zone) raw.zone = zone;
  if (x.amount) raw.amount = x.amount;
  return raw;
}

/** The exception rows of a finished read (row: the last transaction read). */
function exceptionRows(state: ReaderState, opts: ParseOptions, stats: ParseStats): ParsedRow[] {
  if (!opts.posExceptions?.enabled) return [];
  const found = evaluatePosExceptions(state.facts, opts.posExceptions, state.owners);
  noteKind(stats, 'exceptions', found.length);
  return found.map((x) => ({ row: state.lastRow, ...validateEvent(exceptionToRaw(x, opts), `exception[${x.rule}]`, state.lastRow, opts.refs) }));
}

/** Runs split items through the mapping, counting transactions without events as skipped. */
function* rowsOf(items: SplitItem[], opts: ParseOptions, stats: ParseStats, state: ReaderState): Generator<ParsedRow> {
  for (const it of items) {
    if (it.kind === 'fatal') {
      state.fatal = true;
      yield { row: 0, problems: [{ path: 'document', message: it.message }] };
      continue;
    }
    yield* transactionRows(it.xml, it.ordinal, opts, state, stats);
  }
}

/** Streams parsed rows of a POSLog file (row = 1-based transaction ordinal; 0 = the document). */
export async function* parsePoslogFile(file: string, opts: ParseOptions, stats: ParseStats): AsyncGenerator<ParsedRow> {
  const splitter = new TransactionSplitter();
  const state = new ReaderState();
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  for await (const chunk of stream) {
    opts.onBytes?.(stream.bytesRead);
    yield* rowsOf(splitter.push(chunk as string), opts, stats, state);
  }
  yield* rowsOf(splitter.end(), opts, stats, state);
  if (!state.fatal) yield* exceptionRows(state, opts, stats);
}

/** Parses POSLog text held in memory (HTTP uploads, tests); same rows as `parsePoslogFile`. */
export function parsePoslogText(xml: string, opts: ParseOptions, stats: ParseStats): ParsedRow[] {
  const splitter = new TransactionSplitter();
  const state = new ReaderState();
  const rows = [...rowsOf([...splitter.push(xml), ...splitter.end()], opts, stats, state)];
  if (!state.fatal) rows.push(...exceptionRows(state, opts, stats));
  return rows;
}
