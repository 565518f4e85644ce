/*
 * A small RESP2/RESP3 reply reader for tests: finds where one reply ends in a byte stream, so a test
 * can compare raw reply bytes (the differential tests) or decode them into a tree for assertions.
 */

export type Reply =
  | { t: '+' | '-' | ':' | '$' | ',' | '(' | '#' | '_' | '='; v: string | null }
  | { t: '*' | '%' | '~' | '>' | '|'; v: Reply[] | null };

/** The offset just past the reply starting at pos, or -1 if the buffer holds only part of it. */
export function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const nl = buf.indexOf('\r\n', pos);
  if (nl === -1) return -1;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, nl);
  let p = nl + 2;
  switch (type) {
    case '$':
    case '=':
    case '!': {
      const n = Number(line);
      if (n < 0) return p;
      return p + n + 2 <= buf.length ? p + n + 2 : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      let n = Number(line);
      if (n < 0) return p;
      if (type === '%' || type === '|') n *= 2;
      for (let i = 0; i < n; i++) {
        p = replyEnd(buf, p);
        if (p === -1) return -1;
      }
      if (type === '|') {
        const after = replyEnd(buf, p);
        return after;
      }
      return p;
    }
    default:
      return p;
  }
}

/** Decodes one complete reply (as found by replyEnd). */
export function decodeReply(buf: Buffer, pos = 0): { reply: Reply; end: number } {
  const nl = buf.indexOf('\r\n', pos);
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, nl);
  let p = nl + 2;
  if (type === '$' || type === '=') {
    const n = Number(line);
    if (n < 0) return { reply: { t: type, v: null }, end: p };
    return { reply: { t: type, v: buf.toString('latin1', p, p + n) }, end: p + n + 2 };
  }
  if (type === '*' || type === '~' || type === '>' || type === '%') {
    let n = Number(line);
    if (n < 0) return { reply: { t: type, v: null }, end: p };
    if (type === '%') n *= 2;
    const items: Reply[] = [];
    for (let i = 0; i < n; i++) {
      const r = decodeReply(buf, p);
      items.push(r.reply);
      p = r.end;
    }
    return { reply: { t: type, v: items }, end: p };
  }
  return { reply: { t: type as '+', v: line }, end: p };
}
