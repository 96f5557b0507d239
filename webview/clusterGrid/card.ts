// One cluster card: id and size, purity and top label, a mini label histogram, and the 8 most typical images.
import type { ClusterCard, TypicalView } from '../../src/protocol/webview';
import { h } from '../shared/dom';

export const CARD_W = 196;
export const CARD_H = 204;
export const THUMBS = 8;

export interface CardContext {
  thumbBase?: string;
  view: TypicalView;
  classNames?: string[];
}

export function thumbUrl(base: string | undefined, index: number): string | undefined {
  return base ? `${base}/${index}.png` : undefined;
}

export function labelName(ctx: { classNames?: string[] }, label: number | undefined): string {
  return label === undefined ? '' : (ctx.classNames?.[label] ?? `label ${label}`);
}

/** Hue per class, spread around the colour wheel; the same class has the same colour in every card. */
export function classColour(i: number, n: number): string {
  return `hsl(${Math.round((360 * i) / Math.max(1, n))} 60% 55%)`;
}

export function createCard(): HTMLElement {
  const imgs = Array.from({ length: THUMBS }, () =>
    h('img', {
      class: 'thumb',
      alt: '',
      decoding: 'async',
      draggable: 'false',
      onerror: (e: Event) => (e.target as HTMLElement).classList.add('empty'),
    }),
  );
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-head' }, h('span', { class: 'cid' }), h('span', { class: 'csize' })),
    h('div', { class: 'thumbs' }, ...imgs),
    h('div', { class: 'hist', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'purity' },
      h('span', { class: 'plabel' }),
      h('span', { class: 'pbar' }, h('span', { class: 'pfill' })),
    ),
  );
}

/** `deferImages`: leave the thumbnails empty for now (the grid is flying past this card). */
export function fillCard(el: HTMLElement, c: ClusterCard, ctx: CardContext, deferImages = false): void {
  el.querySelector('.cid')!.textContent =
    `#${c.id}${c.name ? ` ${c.name}` : ''}${c.mergedInto !== undefined ? ` → #${c.mergedInto}` : ''}`;
  el.classList.toggle('junk', !!c.junk);
  el.querySelector('.csize')!.textContent = `${c.size} image${c.size === 1 ? '' : 's'}`;
  const list = ctx.view === 'activation' && c.activation ? c.activation : c.nearest;
  el.querySelectorAll<HTMLImageElement>('img.thumb').forEach((img, i) => {
    const idx = list[i];
    const src = idx === undefined || deferImages ? undefined : thumbUrl(ctx.thumbBase, idx);
    if (src) {
      if (img.getAttribute('src') !== src) img.src = src;
      img.title = `image ${idx}`;
      img.classList.remove('empty');
    } else {
      img.removeAttribute('src');
      img.title = idx === undefined ? '' : `image ${idx}`;
      img.classList.add('empty');
    }
  });
  const hist = el.querySelector<HTMLElement>('.hist')!;
  hist.replaceChildren();
  if (c.hist) {
    const max = Math.max(1, ...c.hist);
    c.hist.forEach((n, i) => {
      const bar = h('span', { class: 'bar', title: `${labelName(ctx, i)}: ${n}` });
      bar.style.height = `${Math.round((100 * n) / max)}%`;
      bar.style.background = classColour(i, c.hist!.length);
      hist.append(bar);
    });
  }
  const purity = el.querySelector<HTMLElement>('.purity')!;
  purity.hidden = c.purity === undefined;
  if (c.purity !== undefined) {
    el.querySelector('.plabel')!.textContent = `${Math.round(c.purity * 100)}% ${labelName(ctx, c.topLabel)}`;
    el.querySelector<HTMLElement>('.pfill')!.style.width = `${Math.round(c.purity * 100)}%`;
  }
  el.setAttribute(
    'aria-label',
    `Cluster ${c.id}, ${c.size} images${c.purity !== undefined ? `, ${Math.round(c.purity * 100)} percent ${labelName(ctx, c.topLabel)}` : ''}`,
  );
}
