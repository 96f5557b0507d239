// The detail of one cluster: every member, paged, nearest the centroid first with its distance, an epoch slider
// that follows the cluster across checkpoints (matched by largest overlap), and export of this cluster.
import {
  MEMBER_PAGE,
  type CurationEdit,
  type ClusterCard,
  type ClusterTrack,
  type GridRequest,
  type MemberPage,
} from '../../src/protocol/webview';
import { fmt, h } from '../shared/dom';
import { request } from '../shared/host';
import { labelName, thumbUrl } from './card';

export interface DetailHost {
  epoch(): number;
  checkpoints(): number[];
  thumbBase(): string | undefined;
  classNames(): string[] | undefined;
  /** Moves the whole panel to `epoch` and opens cluster `cluster` there (the follow slider). */
  goTo(epoch: number, cluster: number): void;
  close(): void;
  exportClusters(clusters: number[], format: 'csv' | 'json'): void;
  /** Records a curation decision; the grid repaints its cards from the answer. */
  curate(edit: CurationEdit): Promise<void>;
}

export class ClusterDetail {
  readonly el: HTMLElement;
  private card?: ClusterCard;
  private offset = 0;
  private track?: ClusterTrack;

  constructor(private readonly host: DetailHost) {
    this.el = h('section', {
      class: 'detail',
      hidden: true,
      role: 'dialog',
      'aria-label': 'Cluster detail',
      tabindex: '-1',
    });
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.host.close();
      }
    });
  }

  /** The open cluster's card changed (a curation decision): repaint the header, keep the page. */
  refreshCard(card: ClusterCard): void {
    if (this.card?.id !== card.id) return;
    this.card = card;
    this.renderFrame(this.lastPage);
  }

  get openCluster(): number | undefined {
    return this.el.hidden ? undefined : this.card?.id;
  }

  async open(card: ClusterCard): Promise<void> {
    const sameCluster = this.card?.id === card.id && !this.el.hidden;
    this.card = card;
    if (!sameCluster) {
      this.offset = 0;
      this.curationStatus = '';
    }
    this.el.hidden = false;
    this.renderFrame(undefined);
    this.el.focus();
    const epoch = this.host.epoch();
    const [page, track] = await Promise.all([
      request<Extract<GridRequest, { type: 'members' }>>({
        type: 'members',
        epoch,
        cluster: card.id,
        offset: this.offset,
        limit: MEMBER_PAGE,
      }).done,
      this.host.checkpoints().length > 1
        ? request<Extract<GridRequest, { type: 'follow' }>>({ type: 'follow', epoch, cluster: card.id }).done
        : Promise.resolve({ steps: [] } as ClusterTrack),
    ]);
    if (this.card !== card) return;
    this.track = track;
    this.renderFrame(page);
  }

  hide(): void {
    this.el.hidden = true;
  }

  private async page(delta: number): Promise<void> {
    if (!this.card) return;
    this.offset = Math.max(0, this.offset + delta * MEMBER_PAGE);
    const card = this.card;
    const page = await request<Extract<GridRequest, { type: 'members' }>>({
      type: 'members',
      epoch: this.host.epoch(),
      cluster: card.id,
      offset: this.offset,
      limit: MEMBER_PAGE,
    }).done;
    if (this.card === card) this.renderFrame(page);
  }

  private lastPage?: MemberPage;
  private curationStatus = '';

  private renderFrame(page: MemberPage | undefined): void {
    this.lastPage = page;
    const c = this.card!;
    const names = this.host.classNames();
    const head = h(
      'header',
      { class: 'detail-head' },
      h('h2', {}, `Cluster #${c.id}${c.name ? ` ${c.name}` : ''}${c.junk ? ' (junk)' : ''}`),
      h(
        'span',
        { class: 'muted' },
        `${c.size} images${c.purity !== undefined ? ` · ${Math.round(c.purity * 100)}% ${labelName({ classNames: names }, c.topLabel)}` : ''} · epoch ${this.host.epoch()}`,
      ),
      h('span', { class: 'spacer' }),
      h('vscode-button', { secondary: true, onclick: () => this.host.exportClusters([c.id], 'csv') }, 'Export CSV'),
      h('vscode-button', { secondary: true, onclick: () => this.host.exportClusters([c.id], 'json') }, 'Export JSON'),
      h('vscode-button', { class: 'close', onclick: () => this.host.close(), title: 'Close (Esc)' }, 'Close'),
    );
    const follow = this.followSlider();
    const curation = this.curationRow(c);
    const body = h('div', { class: 'members', role: 'list' });
    if (!page) body.append(h('vscode-progress-ring', {}));
    else
      for (const m of page.members) {
        const src = thumbUrl(this.host.thumbBase(), m.index);
        body.append(
          h(
            'figure',
            {
              class: 'member',
              role: 'listitem',
              title: `image ${m.index} (click to select for Move)`,
              'data-index': String(m.index),
              onclick: (e: Event) => (e.currentTarget as HTMLElement).classList.toggle('picked'),
            },
            src
              ? h('img', { src, alt: `image ${m.index}`, class: 'thumb big' })
              : h('div', { class: 'thumb big empty' }),
            h('figcaption', {}, `${m.index}`, h('br'), m.distance !== undefined ? `d ${fmt(m.distance)}` : 'd –'),
          ),
        );
      }
    const pager = page
      ? h(
          'footer',
          { class: 'pager' },
          h(
            'vscode-button',
            { secondary: true, disabled: page.offset === 0, onclick: () => void this.page(-1) },
            'Previous',
          ),
          h(
            'span',
            { class: 'muted' },
            `${page.total === 0 ? 0 : page.offset + 1}–${page.offset + page.members.length} of ${page.total}, nearest the centroid first`,
          ),
          h(
            'vscode-button',
            {
              secondary: true,
              disabled: page.offset + page.members.length >= page.total,
              onclick: () => void this.page(1),
            },
            'Next',
          ),
        )
      : null;
    this.el.replaceChildren(head, curation, ...(follow ? [follow] : []), body, ...(pager ? [pager] : []));
  }

  /** Name, junk, merge, and move of the picked members: decisions kept in the run's curation.json. */
  private curationRow(c: ClusterCard): HTMLElement {
    const field = (cls: string, placeholder: string, value = '') =>
      h('input', { class: cls, placeholder, value, 'aria-label': placeholder }) as HTMLInputElement;
    const name = field('cur-name', 'Cluster name', c.name ?? '');
    const into = field('cur-into', 'Merge into #');
    const moveTo = field('cur-move', 'Move picked to #');
    // The answer repaints this row: the message is kept on the detail and written into the current row.
    const status = h('span', { class: 'muted cur-status' }, this.curationStatus);
    const say = (text: string) => {
      this.curationStatus = text;
      const el = this.el.querySelector('.cur-status');
      if (el) el.textContent = text;
    };
    const run = (edit: CurationEdit, done: string) =>
      void this.host.curate(edit).then(
        () => say(done),
        (e: Error) => say(e.message),
      );
    const id = (input: HTMLInputElement) =>
      /^#?\d+$/.test(input.value.trim()) ? Number(input.value.trim().replace('#', '')) : undefined;
    return h(
      'div',
      { class: 'curation-row' },
      name,
      h(
        'button',
        {
          class: 'cur-rename',
          onclick: () =>
            run({ action: 'rename', cluster: c.id, name: name.value }, `renamed to ${name.value || 'nothing'}`),
        },
        'Rename',
      ),
      h(
        'button',
        {
          class: 'cur-junk',
          onclick: () => run({ action: 'junk', cluster: c.id, junk: !c.junk }, c.junk ? 'kept' : 'marked as junk'),
        },
        c.junk ? 'Not junk' : 'Junk',
      ),
      into,
      h(
        'button',
        {
          class: 'cur-merge',
          onclick: () =>
            id(into) === undefined
              ? say('a cluster id, e.g. 12')
              : run({ action: 'merge', clusters: [c.id], into: id(into)! }, `merged into #${id(into)}`),
        },
        'Merge',
      ),
      moveTo,
      h(
        'button',
        {
          class: 'cur-move-btn',
          onclick: () => {
            const picked = [...this.el.querySelectorAll<HTMLElement>('.member.picked')].map((m) =>
              Number(m.dataset.index),
            );
            if (!picked.length || id(moveTo) === undefined)
              return say('click images to pick them, then give a cluster id');
            run(
              { action: 'move', indices: picked, cluster: id(moveTo)! },
              `moved ${picked.length} image(s) to #${id(moveTo)}`,
            );
          },
        },
        'Move',
      ),
      status,
    );
  }

  private followSlider(): HTMLElement | null {
    const steps = this.track?.steps ?? [];
    if (steps.length < 2) return null;
    const at = Math.max(
      0,
      steps.findIndex((s) => s.epoch === this.host.epoch()),
    );
    const label = h('span', { class: 'muted follow-label' });
    const describe = (i: number) => {
      const s = steps[i]!;
      label.textContent = `epoch ${s.epoch}: cluster #${s.cluster}, ${s.size} images, overlap ${Math.round(s.jaccard * 100)}% (Jaccard with the neighbouring epoch)`;
    };
    const input = h('input', {
      type: 'range',
      min: '0',
      max: String(steps.length - 1),
      step: '1',
      value: String(at),
      class: 'follow',
      'aria-label': 'Follow this cluster across epochs',
    }) as HTMLInputElement;
    input.addEventListener('input', () => describe(Number(input.value)));
    input.addEventListener('change', () => {
      const s = steps[Number(input.value)]!;
      if (s.epoch !== this.host.epoch()) this.host.goTo(s.epoch, s.cluster);
    });
    describe(at);
    return h('div', { class: 'follow-row' }, h('span', {}, 'Follow across epochs'), input, label);
  }
}
