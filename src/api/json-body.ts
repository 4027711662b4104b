/**
 * The API's JSON body parser: JSON.parse, with a problem that names the line, column and position
 * of the first bad character when the text is not JSON, and `__proto__` keys refused.
 */
import { InvalidError } from '../domain/errors.js';

/**
 * Parses a JSON body. On a syntax error the problem names the line, column and position of the
 * first bad character (V8's own message does not always carry a position). `__proto__` keys are
 * refused, as Fastify's default parser does.
 */
export function parseJsonBody(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return undefined;
  try {
    if (!body.includes('"__proto__"')) return JSON.parse(body);
    return JSON.parse(body, (key, value: unknown) => {
      if (key === '__proto__') throw new InvalidError([{ path: '', message: 'the key "__proto__" is not allowed' }]);
      return value;
    });
  } catch (e) {
    if (e instanceof InvalidError) throw e;
    const loc = locateJsonError(body);
    const reason = loc ? loc.reason : (e as Error).message;
    const position = loc ? loc.position : undefined;
    if (position === undefined) throw new InvalidError([{ path: '', message: `invalid JSON: ${reason}` }]);
    const { line, column } = lineColumn(body, position);
    throw new InvalidError([{ path: '', message: `invalid JSON at line ${line}, column ${column} (position ${position}): ${reason}`, row: line }]);
  }
}

function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: position - start + 1 };
}

/**
 * Finds the first syntax error of a JSON text: its 0-based position and what was expected there.
 * Iterative (an explicit stack), so a hostile, deeply nested body cannot overflow the call stack.
 * Returns undefined when the text is valid JSON.
 */
export function locateJsonError(s: string): { position: number; reason: string } | undefined {
  const n = s.length;
  let i = 0;
  const stack: ('{' | '[')[] = [];
  let expect: 'value' | 'key' | 'after' = 'value';
  const fail = (reason?: string) => ({ position: Math.min(i, n), reason: i >= n ? 'unexpected end of input' : reason ?? `unexpected ${JSON.stringify(s[i])}` });
  const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const skipWs = () => {
    while (i < n && isWs(s.charCodeAt(i))) i++;
  };
  const scanString = (): { position: number; reason: string } | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= n) return fail();
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return fail('control character in string (escape it)');
      if (c === 0x5c) {
        i++;
        if (i >= n) return fail();
        const e = s[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(s[i + k] ?? '')) {
              i += k;
              return fail('expected 4 hex digits after \\u');
            }
          }
          i += 5;
        } else if ('"\\/bfnrt'.includes(e)) i++;
        else return fail('invalid escape in string');
      } else i++;
    }
  };
  const scanNumber = (): { position: number; reason: string } | undefined => {
    if (s[i] === '-') i++;
    if (s[i] === '0') i++;
    else if (i < n && isDigit(s.charCodeAt(i))) while (i < n && isDigit(s.charCodeAt(i))) i++;
    else return fail('expected a digit');
    if (s[i] === '.') {
      i++;
      if (!(i < n && isDigit(s.charCodeAt(i)))) return fail('expected a digit after the decimal point');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!(i < n && isDigit(s.charCodeAt(i)))) return fail('expected a digit in the exponent');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    return undefined;
  };
  for (;;) {
    skipWs();
    if (expect === 'value') {
      if (i >= n) return fail();
      const c = s[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        skipWs();
        if (s[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          expect = 'after';
        } else expect = c === '{' ? 'key' : 'value';
        continue;
      }
      let err: { position: number; reason: string } | undefined;
      if (c === '"') err = scanString();
      else if (c === '-' || isDigit(s.charCodeAt(i))) err = scanNumber();
      else {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : undefined;
        if (!word) return fail(`unexpected ${JSON.stringify(c)}; expected a value`);
        for (let k = 0; k < word.length; k++, i++) if (s[i] !== word[k]) return fail(`unexpected ${i >= n ? 'end' : JSON.stringify(s[i])} in ${word}`);
      }
      if (err) return err;
      expect = 'after';
    } else if (expect === 'key') {
      if (s[i] !== '"') return fail(`unexpected ${i >= n ? 'end' : JSON.stringify(s[i])}; expected a property name in double quotes`);
      const err = scanString();
      if (err) return err;
      skipWs();
      if (s[i] !== ':') return fail(`expected ':' after the property name`);
      i++;
      expect = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? fail('unexpected data after the JSON value') : undefined;
      if (s[i] === ',') {
        i++;
        expect = top === '{' ? 'key' : 'value';
      } else if (s[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else return fail(`expected ',' or '${top === '{' ? '}' : ']'}'`);
    }
  }
}
