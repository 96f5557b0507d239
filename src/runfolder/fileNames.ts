// File names as strings without losing bytes. On Linux a file name is any bytes but '/' and NUL; Node's string
// APIs decode them as UTF-8 and turn invalid bytes into U+FFFD, after which the file cannot be opened. We keep
// Python's convention (PEP 383, "surrogateescape"): valid UTF-8 decodes as usual and each byte of an invalid
// sequence becomes the lone surrogate U+DC80..U+DCFF, which no valid UTF-8 decodes to. So the string is an exact
// image of the bytes, JSON carries it (as "\udcff"), and `fsPathOf` gives back what fs calls need.
// Plain Node, no tfjs, no vscode: the trainer and the extension both import it.

const ESCAPE_BASE = 0xdc00;

/** The bytes of a file name as a string: UTF-8, with every byte of an invalid sequence escaped to U+DC80..DCFF. */
export function nameFromBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let cp = len === 1 ? b : len === 2 ? b & 0x1f : len === 3 ? b & 0x0f : b & 0x07;
    let ok = len > 0 && i + len <= bytes.length;
    for (let j = 1; ok && j < len; j++) {
      const c = bytes[i + j];
      if ((c & 0xc0) !== 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid UTF-8 too.
    if (
      ok &&
      ((len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)))
    )
      ok = false;
    if (!ok) {
      out += String.fromCharCode(ESCAPE_BASE + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/** Whether the name holds escaped bytes (the u flag: a surrogate pair is one character, only lone ones match). */
export const hasEscapedBytes = (name: string) => /[\udc80-\udcff]/u.test(name);

/** The bytes a name string stands for: escapes back to their byte, everything else UTF-8. */
export function bytesOfName(name: string): Buffer {
  if (!hasEscapedBytes(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // An escape is a lone low surrogate: one after a high surrogate is half of a real character.
    const lone =
      c >= 0xdc80 && c <= 0xdcff && !(i > 0 && name.charCodeAt(i - 1) >= 0xd800 && name.charCodeAt(i - 1) <= 0xdbff);
    if (!lone) continue;
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.of(c - ESCAPE_BASE));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** What to hand to an fs call for this name: the string itself, or its bytes when it holds escaped bytes. */
export function fsPathOf(name: string): string | Buffer {
  return hasEscapedBytes(name) ? bytesOfName(name) : name;
}

/** The name for people: control characters and escaped bytes shown as \n, \t, \xff (one line, nothing hidden). */
export function displayName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f\udc80-\udcff]/gu, (ch) => {
    const c = ch.charCodeAt(0);
    if (ch === '\n') return '\\n';
    if (ch === '\t') return '\\t';
    if (ch === '\r') return '\\r';
    return `\\x${(c >= 0xdc80 ? c - ESCAPE_BASE : c).toString(16).padStart(2, '0')}`;
  });
}
