// The sidebar's model: runs -> checkpoints -> clusters -> member images, as plain data. The vscode TreeDataProvider
// (runsTree.ts) only turns these specs into TreeItems, so the labels, icons and menus are unit-tested here.
import { displayName } from '../runfolder/fileNames';
import type { RunProgress } from './trainerEvents';
import { describeProgress } from './trainerEvents';
import type { CheckpointRef } from '../runfolder/checkpoints';
import type { RunSummary } from '../runfolder/runs';
import type { CheckpointView, ClusterView, MemberRef } from './checkpointData';
import { treeDecisions, type TreeDecision } from './treeCuration';

export type TreeNode =
  | { kind: 'run'; run: RunSummary }
  | { kind: 'checkpoint'; run: RunSummary; ckpt: CheckpointRef }
  | { kind: 'cluster'; ckpt: CheckpointRef; cluster: ClusterView; decision?: TreeDecision }
  | { kind: 'member'; ckpt: CheckpointRef; cluster: ClusterView; member: MemberRef; name?: string }
  | { kind: 'more'; ckpt: CheckpointRef; cluster: ClusterView; hidden: number };

export interface ItemSpec {
  id: string;
  label: string;
  description?: string;
  tooltip: string;
  /** codicon id, e.g. "sync~spin". */
  icon: string;
  /** Drives the context menus in package.json (view/item/context `viewItem == ...`). */
  contextValue: string;
  collapsible: boolean;
  /** A file the item stands for (checkpoint.json opens in the inspector). */
  resourcePath?: string;
  command?: { id: string; args: unknown[] };
}

/** Members listed under a cluster before a "N more" row; the cluster grid panel shows them all. */
export const MEMBERS_SHOWN = 50;

const STATE_ICON: Record<string, string> = {
  running: 'sync~spin',
  finished: 'pass',
  stopped: 'debug-pause',
  interrupted: 'warning',
  failed: 'error',
  unknown: 'question',
};

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function runSpec(run: RunSummary, live?: RunProgress): ItemSpec {
  const total = live?.epochs || run.epochsTotal;
  const done = live ? Math.max(run.epochsDone, live.startEpoch + live.epochsFinished) : run.epochsDone;
  const state = live && !live.finished ? 'running' : run.state;
  const description =
    state === 'running' && live ? describeProgress(live) : `${state} · ${done}/${total || '?'} epochs`;
  const m = run.manifest;
  const tooltip = [
    `Run ${run.id} (${state})`,
    run.dir,
    m ? `data: ${m.dataset?.path ?? m.config.data ?? 'sample'} (${m.dataset?.images ?? '?'} images)` : undefined,
    m ? `arch ${m.config.arch}, k ${m.config.k}, batch ${m.config.batchSize}` : undefined,
    m?.engine ? `backend ${m.engine.backend} on ${m.engine.device}` : undefined,
    m?.message,
    state === 'interrupted' ? 'The trainer is gone; Resume continues from the last checkpoint.' : undefined,
  ]
    .filter(Boolean)
    .join('\n');
  // contextValue carries the state, so menus can offer Stop on running runs and Resume on the others.
  const ctx = state === 'running' ? 'run.running' : state === 'finished' ? 'run.finished' : 'run.resumable';
  return {
    id: `run:${run.dir}`,
    label: run.id,
    description,
    tooltip,
    icon: STATE_ICON[state] ?? 'question',
    contextValue: ctx,
    collapsible: true,
  };
}

export function checkpointSpec(ckpt: CheckpointRef, view?: CheckpointView): ItemSpec {
  const m = view?.metrics;
  const bits = [
    m ? `loss ${m.loss.toFixed(3)}` : undefined,
    m?.nmiLabels !== undefined
      ? `NMI ${m.nmiLabels.toFixed(3)}`
      : m?.nmiPrev !== undefined
        ? `NMI(t,t-1) ${m.nmiPrev.toFixed(3)}`
        : undefined,
  ];
  return {
    id: `ckpt:${ckpt.dir}`,
    label: `epoch ${ckpt.epoch}`,
    description: bits.filter(Boolean).join(' · ') || undefined,
    tooltip: `Checkpoint ${ckpt.name}${view ? ` · k ${view.manifest.k} · ${view.manifest.images} images` : ''}\n${ckpt.manifestPath}\nClick to open the inspector.`,
    icon: 'save',
    contextValue: 'checkpoint',
    collapsible: true,
    resourcePath: ckpt.manifestPath,
    command: { id: 'deepcluster.openCheckpoint', args: [ckpt.manifestPath] },
  };
}

/** `d`: the user's curation of this cluster (curation.json): its name leads the label, junk and merges the description. */
export function clusterSpec(ckpt: CheckpointRef, c: ClusterView, d?: TreeDecision): ItemSpec {
  const label = `cluster ${c.index}${d?.name ? ` “${d.name}”` : ''}${c.topLabel !== undefined ? ` · ${c.topLabel}` : ''}`;
  const description = [
    d?.junk ? 'junk' : undefined,
    d?.mergedInto !== undefined ? `→ cluster ${d.mergedInto}` : undefined,
    `${c.size} images`,
    c.purity !== undefined ? `purity ${pct(c.purity)}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const tooltip =
    c.size === 0
      ? `Cluster ${c.index} is empty`
      : `Cluster ${c.index}: ${c.size} images${c.topLabel !== undefined ? `, ${pct(c.purity ?? 0)} labelled "${c.topLabel}"` : ''}`;
  return {
    id: `cluster:${ckpt.dir}:${c.index}`,
    label,
    description,
    tooltip,
    icon: c.size === 0 ? 'circle-slash' : 'symbol-namespace',
    contextValue: 'cluster',
    collapsible: c.members.length > 0,
  };
}

/** `name`: the image's file path (image folders) or `<file>#<i>`, from the run's images.txt. */
export function memberSpec(ckpt: CheckpointRef, c: ClusterView, m: MemberRef, name?: string): ItemSpec {
  const isFile = name !== undefined && !/#\d+$/.test(name);
  return {
    id: `member:${ckpt.dir}:${c.index}:${m.index}`,
    label: isFile ? displayName(name.split(/[\\/]/).pop()!) : `image ${m.index}`,
    description: m.distance !== undefined ? `distance ${m.distance.toFixed(3)}` : undefined,
    tooltip: `Dataset image #${m.index} in cluster ${c.index}${name ? `\n${displayName(name)}` : ''}`,
    ...(isFile ? { command: { id: 'deepcluster.openImage', args: [name] } } : {}),
    icon: 'file-media',
    contextValue: 'member',
    collapsible: false,
  };
}

/** Children of a node; `load` reads a checkpoint (the provider caches it). Clusters are listed largest first. */
export function childrenOf(node: TreeNode, load: (ckpt: CheckpointRef) => CheckpointView | undefined): TreeNode[] {
  switch (node.kind) {
    case 'run':
      return [...node.run.checkpoints].reverse().map((ckpt) => ({ kind: 'checkpoint' as const, run: node.run, ckpt }));
    case 'checkpoint': {
      const view = load(node.ckpt);
      const decisions = view ? treeDecisions(node.ckpt, view.assignments) : new Map<number, TreeDecision>();
      return (view?.clusters ?? [])
        .slice()
        .sort((a, b) => b.size - a.size || a.index - b.index)
        .map((cluster) => ({
          kind: 'cluster' as const,
          ckpt: node.ckpt,
          cluster,
          decision: decisions.get(cluster.index),
        }));
    }
    case 'cluster': {
      const view = load(node.ckpt);
      const shown = node.cluster.members.slice(0, MEMBERS_SHOWN).map((member) => ({
        kind: 'member' as const,
        ckpt: node.ckpt,
        cluster: node.cluster,
        member,
        name: view?.imageName(member.index),
      }));
      const hidden = node.cluster.members.length - shown.length;
      return hidden > 0 ? [...shown, { kind: 'more' as const, ckpt: node.ckpt, cluster: node.cluster, hidden }] : shown;
    }
    default:
      return [];
  }
}

export function specOf(
  node: TreeNode,
  load: (ckpt: CheckpointRef) => CheckpointView | undefined,
  live?: (runDir: string) => RunProgress | undefined,
): ItemSpec {
  switch (node.kind) {
    case 'run':
      return runSpec(node.run, live?.(node.run.dir));
    case 'checkpoint':
      return checkpointSpec(node.ckpt, load(node.ckpt));
    case 'cluster':
      return clusterSpec(node.ckpt, node.cluster, node.decision);
    case 'member':
      return memberSpec(node.ckpt, node.cluster, node.member, node.name);
    case 'more':
      return {
        id: `more:${node.ckpt.dir}:${node.cluster.index}`,
        label: `${node.hidden} more…`,
        tooltip: 'Open the cluster grid to see every member',
        icon: 'ellipsis',
        contextValue: 'more',
        collapsible: false,
        command: { id: 'deepcluster.showClusterGrid', args: [node.ckpt.manifestPath, node.cluster.index] },
      };
  }
}
