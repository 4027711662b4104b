/**
 * POSLog (NRF ARTS IXRetail) XML: the transaction log a POS system exports. Loss-prevention
 * signals are mapped to `pos` events; normal sales, sign-ons and tender controls are skipped.
 *
 * Hostile input: POSLog arrives from store systems and uploads, so a DOCTYPE or ENTITY
 * declaration is refused outright (never expanded: no billion laughs, no external entities), and
 * only the five predefined XML entities and numeric character references are decoded.
 *
 * Streaming: a small scanner splits the document into top-level <Transaction> elements as bytes
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

/** Largest single <Transaction> accepted (characters); bigger ones are refused, not buffered. */
export const MAX_TRANSACTION_CHARS = 16 * 1024 * 1024;
/** Deepest element nesting accepted. */
const MAX_DEPTH = 200;

// ---------------------------------------------------------------------------------------------
// Splitter

/** What the splitter finds: one top-level transaction's XML text, or a fatal document problem. */
export type SplitItem = { kind: 'transaction'; ordinal: number; xml: string } | { kind: 'fatal'; message: string };

/**
 * Incremental scanner that cuts a POSLog document into its <Transaction> elements. It tracks
 * comments, CDATA, processing instructions and quoted attribute values, so a ">" or
 * "</Transaction>" inside them does not cut. Refuses DOCTYPE/ENTITY declarations.
 */
export class TransactionSplitter {
  private buf = '';
  private pos = 0;
  private stack: string[] = [];
  private root: string | undefined;
  private txStart = -1;
  private txDepth = 0;
  private ordinal = 0;
  private linesBefore = 0; // newlines in text already dropped from buf
  private failed = false;

  /** Feeds more text; returns the transactions (and at most one fatal problem) now complete. */
  push(chunk: string): SplitItem[] {
    if (this.failed) return [];
    this.buf += chunk;
    const out = this.scan(false);
    this.compact();
    if (!this.failed && this.txStart >= 0 && this.buf.length - this.txStart > MAX_TRANSACTION_CHARS) {
      out.push(this.fail(`transaction ${this.ordinal} is larger than ${MAX_TRANSACTION_CHARS} characters`));
    }
    return out;
  }

  /** Signals the end of input; returns what remains, including a problem for a truncated document. */
  end(): SplitItem[] {
    if (this.failed) return [];
    const out = this.scan(true);
    if (this.failed) return out;
    if (this.root === undefined) out.push(this.fail('expected a POSLog document (root element POSLog or Transaction), found no element'));
    else if (this.stack.length > 0) out.push(this.fail(`document ends inside <${this.stack[this.stack.length - 1]}> (truncated file?)`));
    return out;
  }

  private fail(message: string): SplitItem {
    this.failed = true;
    const line = this.linesBefore + countNewlines(this.buf, 0, Math.min(this.pos, this.buf.length)) + 1;
    return { kind: 'fatal', message: `${message} (at line ${line})` };
  }

  private compact(): void {
    const keep = this.txStart >= 0 ? this.txStart : this.pos;
    if (keep === 0) return;
    this.linesBefore += countNewlines(this.buf, 0, keep);
    this.buf = this.buf.slice(keep);
    this.pos -= keep;
    if (this.txStart >= 0) this.txStart = 0;
  }

  private scan(final: boolean): SplitItem[] {
    const out: SplitItem[] = [];
    const b = this.buf;
    while (!this.failed) {
      const lt = b.indexOf('<', this.pos);
      if (lt < 0) {
        if (this.stack.length === 0 && b.slice(this.pos).trim() !== '') {
          out.push(this.fail('unexpected text outside the root element'));
          break;
        }
        this.pos = b.length;
        break;
      }
      if (this.stack.length === 0 && b.slice(this.pos, lt).replace(/^\uFEFF/, '').trim() !== '') {
        this.pos = lt;
        out.push(this.fail('unexpected text outside the root element'));
        break;
      }
      this.pos = lt;
      if (b.length - lt < 9 && !final) break; // not enough to tell "<!DOCTYPE" from "<!--"
      if (b.startsWith('<!--', lt)) {
        const end = b.indexOf('-->', lt + 4);
        if (end < 0) {
          if (final) out.push(this.fail('unterminated comment'));
          break;
        }
        this.pos = end + 3;
        continue;
      }
      if (b.startsWith('<![CDATA[', lt)) {
        const end = b.indexOf(']]>', lt + 9);
        if (end < 0) {
          if (final) out.push(this.fail('unterminated CDATA section'));
          break;
        }
        this.pos = end + 3;
        continue;
      }
      if (b.startsWith('<!', lt)) {
        const word = b.slice(lt + 2, lt + 9).toUpperCase();
        if (word.startsWith('DOCTYPE') || word.startsWith('ENTITY')) {
          out.push(this.fail('DOCTYPE and ENTITY declarations are refused (entity expansion is disabled for untrusted XML)'));
        } else {
          out.push(this.fail('unexpected markup declaration "<!"; expected an element'));
        }
        break;
      }
      if (b.startsWith('<?', lt)) {
        const end = b.indexOf('?>', lt + 2);
        if (end < 0) {
          if (final) out.push(this.fail('unterminated processing instruction'));
          break;
        }
        this.pos = end + 2;
        continue;
      }
      const gt = tagEnd(b, lt + 1);
      if (gt < 0) {
        if (final) out.push(this.fail('unterminated tag'));
        else if (b.length - lt > 1024 * 1024) out.push(this.fail('tag longer than 1 MiB'));
        break;
      }
      if (b[lt + 1] === '/') {
        const name = b.slice(lt + 2, gt).trim();
        const open = this.stack.pop();
        if (open !== name) {
          out.push(this.fail(open === undefined ? `unexpected end tag </${name}>` : `expected </${open}>, found </${name}>`));
          break;
        }
        this.pos = gt + 1;
        if (this.txStart >= 0 && this.stack.length === this.txDepth) {
          out.push({ kind: 'transaction', ordinal: this.ordinal, xml: b.slice(this.txStart, this.pos) });
          this.txStart = -1;
        }
        continue;
      }
      const name = /^[^\s/>]+/.exec(b.slice(lt + 1, Math.min(gt, lt + 200)))?.[0] ?? '';
      const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
      const selfClosing = b[gt - 1] === '/';
      const depth = this.stack.length;
      if (depth === 0) {
        if (this.root !== undefined) {
          out.push(this.fail(`a second root element <${name}>; expected one POSLog document`));
          break;
        }
        this.root = local;
        if (local !== 'POSLog' && local !== 'Transaction') {
          out.push(this.fail(`root element <${name}>; expected a POSLog document (root element POSLog or Transaction)`));
          break;
        }
      }
      const isTx = local === 'Transaction' && this.txStart < 0 && (depth === 0 || (depth === 1 && this.root === 'POSLog'));
      this.pos = gt + 1;
      if (isTx) {
        this.ordinal++;
        if (selfClosing) out.push({ kind: 'transaction', ordinal: this.ordinal, xml: b.slice(lt, this.pos) });
        else {
          this.txStart = lt;
          this.txDepth = depth;
        }
      }
      if (!selfClosing) {
        if (this.stack.length >= MAX_DEPTH) {
          out.push(this.fail(`elements nested deeper than ${MAX_DEPTH}`));
          break;
        }
        this.stack.push(name);
      }
    }
    return out;
  }
}

/** Index of the ">" closing the tag whose name starts at `from`, skipping quoted attribute values; -1 if not yet there. */
function tagEnd(s: string, from: number): number {
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Transaction -> events

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
