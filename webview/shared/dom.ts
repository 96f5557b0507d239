// Tiny DOM helpers: the panels build their DOM by hand (no framework besides the vscode-elements components).
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Record<string, unknown>,
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K];
export function h(
  tag: string,
  props?: Record<string, unknown>,
  ...children: (Node | string | null | undefined)[]
): HTMLElement;
export function h(
  tag: string,
  props: Record<string, unknown> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export function fmt(n: number | undefined, digits = 3): string {
  return n === undefined || !Number.isFinite(n) ? '–' : Math.abs(n) >= 1000 ? n.toFixed(0) : n.toPrecision(digits);
}
