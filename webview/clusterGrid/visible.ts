// Which clusters the grid shows, in which order: filter by minimum size and label, search by id or label name,
// sort by size, purity or id. Pure, so the tests and the benchmark can call it directly.
import type { ClusterCard, GridUiState } from '../../src/protocol/webview';

export function matchesSearch(c: ClusterCard, q: string, classNames?: string[]): boolean {
  if (!q) return true;
  const s = q.trim().toLowerCase().replace(/^#/, '');
  if (/^\d+$/.test(s)) return String(c.id) === s || String(c.id).startsWith(s);
  const label = c.topLabel !== undefined ? (classNames?.[c.topLabel] ?? String(c.topLabel)) : '';
  return label.toLowerCase().includes(s);
}

export function visibleClusters(all: ClusterCard[], ui: GridUiState, classNames?: string[]): ClusterCard[] {
  const out = all.filter(
    (c) => c.size >= ui.minSize && (ui.label < 0 || c.topLabel === ui.label) && matchesSearch(c, ui.search, classNames),
  );
  const key =
    ui.sort === 'size'
      ? (c: ClusterCard) => c.size
      : ui.sort === 'purity'
        ? (c: ClusterCard) => c.purity ?? -1
        : (c: ClusterCard) => c.id;
  const sign = ui.descending ? -1 : 1;
  return out.sort((a, b) => sign * (key(a) - key(b)) || a.id - b.id);
}

export const DEFAULT_UI: GridUiState = {
  sort: 'size',
  descending: true,
  minSize: 0,
  label: -1,
  search: '',
  view: 'nearest',
};
