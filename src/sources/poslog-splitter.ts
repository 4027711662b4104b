/**
 * The streaming half of the POSLog reader: an incremental scanner that cuts a document into its
 * top-level <Transaction> elements as bytes arrive (so memory is bounded by the largest
 * transaction, not the file) and refuses DOCTYPE and ENTITY declarations before any parser sees
 * them. poslog.ts parses each transaction and maps it to events.
 */
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
