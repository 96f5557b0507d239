// A virtualised grid of fixed-size cards: only the rows in view (plus a margin) exist in the DOM, and their
// elements are recycled while scrolling, so 10 000 clusters cost what 50 do. Arrow keys, PageUp/PageDown and
// Home/End move a focus cursor (aria-activedescendant); Enter opens the focused card.
export interface VirtualGridOptions<T> {
  viewport: HTMLElement;
  cardWidth: number;
  cardHeight: number;
  gap: number;
  /** Fills a recycled card element with item `item`; `moving`: the grid scrolls fast, defer heavy content. */
  render(el: HTMLElement, item: T, focused: boolean, moving: boolean): void;
  create(): HTMLElement;
  onOpen(item: T): void;
  key(item: T): number;
}

export class VirtualGrid<T> {
  private items: T[] = [];
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private readonly shown = new Map<HTMLElement, { key: number; focused: boolean; moving: boolean }>();
  private cols = 1;
  private frame = 0;
  private lastTop = 0;
  private moving = false;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  focus = 0;

  constructor(private readonly o: VirtualGridOptions<T>) {
    this.spacer = document.createElement('div');
    this.spacer.className = 'vg-spacer';
    o.viewport.append(this.spacer);
    o.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.layout()).observe(o.viewport);
    o.viewport.addEventListener('keydown', (e) => this.onKey(e));
    o.viewport.addEventListener('click', (e) => {
      const card = (e.target as HTMLElement).closest<HTMLElement>('.vg-card');
      const i = card ? Number(card.dataset.pos) : NaN;
      if (Number.isInteger(i) && this.items[i]) {
        this.focus = i;
        this.o.onOpen(this.items[i]!);
        this.render();
      }
    });
  }

  setItems(items: T[], keepScroll = false): void {
    this.items = items;
    this.focus = Math.min(this.focus, Math.max(0, items.length - 1));
    if (!keepScroll) this.o.viewport.scrollTop = 0;
    this.layout();
  }

  /** Forgets what each card shows, so the next render refills them all (view or thumbnails changed). */
  invalidate(): void {
    this.shown.clear();
  }

  get length(): number {
    return this.items.length;
  }

  private rowHeight(): number {
    return this.o.cardHeight + this.o.gap;
  }

  layout(): void {
    const w = this.o.viewport.clientWidth;
    this.cols = Math.max(1, Math.floor((w + this.o.gap) / (this.o.cardWidth + this.o.gap)));
    this.spacer.style.height = `${Math.ceil(this.items.length / this.cols) * this.rowHeight()}px`;
    this.render();
  }

  /**
   * One render per animation frame. While the grid moves by more than ~half a card per frame (a fling, a dragged
   * scrollbar) cards are drawn without their images, which would only be fetched and decoded to be scrolled away;
   * 120 ms after the scrolling stops the cards in view get them.
   */
  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const top = this.o.viewport.scrollTop;
      this.moving = Math.abs(top - this.lastTop) > 40;
      this.lastTop = top;
      this.render();
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => {
        this.moving = false;
        this.render();
      }, 120);
    });
  }

  /** Places the cards of the rows in view; reuses elements, and refills one only when its item changed. */
  render(): void {
    const vp = this.o.viewport;
    const rh = this.rowHeight();
    const first = Math.max(0, Math.floor(vp.scrollTop / rh) - 1);
    const last = Math.min(
      Math.ceil(this.items.length / this.cols),
      Math.ceil((vp.scrollTop + vp.clientHeight) / rh) + 1,
    );
    const from = first * this.cols;
    const to = Math.min(this.items.length, last * this.cols);
    const need = Math.max(0, to - from);
    while (this.pool.length < need) {
      const el = this.o.create();
      el.classList.add('vg-card');
      el.setAttribute('role', 'gridcell');
      this.pool.push(el);
      this.spacer.append(el);
    }
    for (let j = 0; j < this.pool.length; j++) {
      const el = this.pool[j]!;
      const pos = from + j;
      if (j >= need) {
        el.hidden = true;
        continue;
      }
      const item = this.items[pos]!;
      const key = this.o.key(item);
      const focused = pos === this.focus;
      const was = this.shown.get(el);
      if (!was || was.key !== key || was.focused !== focused || (was.moving && !this.moving)) {
        this.o.render(el, item, focused, this.moving);
        this.shown.set(el, { key, focused, moving: this.moving });
      }
      el.hidden = false;
      el.dataset.pos = String(pos);
      el.id = `card-${key}`;
      el.classList.toggle('focused', focused);
      const r = Math.floor(pos / this.cols);
      const c = pos % this.cols;
      el.style.transform = `translate(${c * (this.o.cardWidth + this.o.gap)}px, ${r * rh}px)`;
    }
    const f = this.items[this.focus];
    if (f !== undefined) vp.setAttribute('aria-activedescendant', `card-${this.o.key(f)}`);
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.items.length;
    if (n === 0) return;
    const pageRows = Math.max(1, Math.floor(this.o.viewport.clientHeight / this.rowHeight()));
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: this.cols,
      ArrowUp: -this.cols,
      PageDown: pageRows * this.cols,
      PageUp: -pageRows * this.cols,
    };
    let next = this.focus;
    if (e.key in moves) next = this.focus + moves[e.key]!;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.o.onOpen(this.items[this.focus]!);
      return;
    } else return;
    e.preventDefault();
    this.focus = Math.max(0, Math.min(n - 1, next));
    this.scrollToFocus();
    this.render();
  }

  scrollToFocus(): void {
    const vp = this.o.viewport;
    const top = Math.floor(this.focus / this.cols) * this.rowHeight();
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + this.o.cardHeight > vp.scrollTop + vp.clientHeight)
      vp.scrollTop = top + this.o.cardHeight - vp.clientHeight;
  }
}
