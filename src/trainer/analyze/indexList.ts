// Lists of filter, cluster or image numbers as people type them: "0-15", "3", "1,2,5-9".

/** Parse a list of non-negative integers and inclusive ranges; duplicates removed, order kept. Throws Error. */
export function parseIndexList(text: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new Error(`'${part.trim()}' is not a number or a range like 0-15`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`range ${a}-${b} runs backwards`);
    if (b - a > 1_000_000) throw new Error(`range ${a}-${b} is too long`);
    for (let i = a; i <= b; i++) {
      if (seen.has(i)) continue;
      seen.add(i);
      out.push(i);
    }
  }
  return out;
}
