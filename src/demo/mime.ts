/**
 * Enough of MIME (RFC 2045-2047, 2231) to show an email the demo's SMTP server took in: headers
 * unfolded and their encoded words decoded, multipart bodies split, base64 and quoted-printable
 * undone, the plain-text part, whether there is an HTML part, and the attachments' names, types and
 * sizes. Not a general mail parser: it reads what nodemailer (the product's sender) and ordinary
 * clients write, and never throws on what it cannot read (that part is skipped).
 */

export interface ParsedMail {
  headers: Map<string, string>;
  subject: string;
  from: string;
  to: string;
  messageId: string;
  text: string;
  html: string;
  attachments: { filename: string; contentType: string; size: number }[];
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(cs === 'us-ascii' ? 'utf-8' : cs).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Quoted-printable to bytes (soft line breaks dropped). */
export function decodeQuotedPrintable(s: string): Buffer {
  const text = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */ && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c > 255) {
      out.push(...Buffer.from(text[i], 'utf8'));
    } else out.push(c);
  }
  return Buffer.from(out);
}

/** Decodes RFC 2047 encoded words ("=?UTF-8?Q?Caf=C3=A9?=", "=?utf-8?B?...?=") in a header value. */
export function decodeWords(v: string): string {
  return v
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?[^?]+\?[QqBb]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([QqBb])\?([^?]*)\?=/g, (_m, cs: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text.replace(/_/g, ' '));
      return decodeCharset(bytes, cs);
    });
}

/** Splits header text into unfolded (name, value) pairs; names in lower case. */
function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(i + 1).trim());
  }
  return headers;
}

/** A structured header value: "type/subtype; a=1; b*=utf-8''x" -> value and parameters (RFC 2231 joined and decoded). */
export function parseParams(v: string): { value: string; params: Map<string, string> } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (ch === '"') quoted = !quoted;
    if (ch === '\\' && quoted) {
      cur += v[++i] ?? '';
      continue;
    }
    if (ch === ';' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const value = (parts.shift() ?? '').trim().toLowerCase();
  const raw = new Map<string, { v: string; extended: boolean }[]>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    const val = p.slice(eq + 1).trim().replace(/^"([\s\S]*)"$/, '$1');
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(key);
    if (!m) continue;
    const name = m[1];
    const index = m[2] ? Number(m[2]) : 0;
    const list = raw.get(name) ?? [];
    list[index] = { v: val, extended: Boolean(m[3]) };
    raw.set(name, list);
  }
  const params = new Map<string, string>();
  for (const [name, list] of raw) {
    let charset: string | undefined;
    const bytes: Buffer[] = [];
    list.forEach((piece, k) => {
      if (!piece) return;
      let v = piece.v;
      if (piece.extended) {
        if (k === 0) {
          const m = /^([^']*)'[^']*'([\s\S]*)$/.exec(v);
          if (m) {
            charset = m[1] || undefined;
            v = m[2];
          }
        }
        bytes.push(Buffer.from(v.replace(/%([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1'));
      } else bytes.push(Buffer.from(v, 'utf8'));
    });
    const joined = Buffer.concat(bytes);
    params.set(name, list.some((p) => p?.extended) ? decodeCharset(joined, charset) : decodeWords(joined.toString('utf8')));
  }
  return { value, params };
}

function decodeBody(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, 'latin1');
  }
}

/** Text of an HTML part, for a message without a plain-text part. */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>|<\/h\d>|<\/li>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&(lt|gt|quot|amp|#39);/g, (_e, n: string) => ({ lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'" })[n]!)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const MAX_DEPTH = 10;

/** Parses a raw message (the bytes after DATA, as latin1 so no byte is lost). */
export function parseMail(raw: string): ParsedMail {
  const out: ParsedMail = { headers: new Map(), subject: '', from: '', to: '', messageId: '', text: '', html: '', attachments: [] };
  const walk = (entity: string, depth: number, top: boolean) => {
    const split = /\r?\n\r?\n/.exec(entity);
    const headText = split ? entity.slice(0, split.index) : entity;
    const body = split ? entity.slice(split.index + split[0].length) : '';
    const headers = parseHeaders(headText);
    if (top) out.headers = headers;
    const ct = parseParams(headers.get('content-type') ?? 'text/plain; charset=us-ascii');
    const disposition = parseParams(headers.get('content-disposition') ?? '');
    if (ct.value.startsWith('multipart/') && depth < MAX_DEPTH) {
      const boundary = ct.params.get('boundary');
      if (!boundary) return;
      const delim = `--${boundary}`;
      const pieces = body.split(new RegExp(`(?:^|\\r?\\n)${delim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(--)?[ \\t]*(?:\\r?\\n|$)`));
      // pieces: the preamble, then for each delimiter its closing mark ('--' or undefined) and what follows it.
      for (let i = 1; i + 1 < pieces.length; i += 2) {
        if (pieces[i] === '--') break; // the close delimiter: the rest is the epilogue
        const part = pieces[i + 1];
        if (part.trim()) walk(part, depth + 1, false);
      }
      return;
    }
    const bytes = decodeBody(body, headers.get('content-transfer-encoding'));
    const filename = disposition.params.get('filename') ?? ct.params.get('name');
    if (disposition.value === 'attachment' || (filename && !ct.value.startsWith('text/'))) {
      out.attachments.push({ filename: filename ?? 'attachment', contentType: ct.value, size: bytes.length });
      return;
    }
    if (ct.value === 'text/plain' && !out.text) out.text = decodeCharset(bytes, ct.params.get('charset'));
    else if (ct.value === 'text/html' && !out.html) out.html = decodeCharset(bytes, ct.params.get('charset'));
    else if (filename) out.attachments.push({ filename, contentType: ct.value, size: bytes.length });
  };
  walk(raw, 0, true);
  if (!out.text && out.html) out.text = htmlToText(out.html);
  // Header bytes are 8-bit in the wild: read them as UTF-8, then decode the encoded words.
  const header = (name: string) => decodeWords(Buffer.from(out.headers.get(name) ?? '', 'latin1').toString('utf8'));
  out.subject = header('subject');
  out.from = header('from');
  out.to = header('to');
  out.messageId = header('message-id');
  return out;
}
