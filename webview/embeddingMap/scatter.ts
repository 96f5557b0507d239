// The map's drawing and hit testing, DOM-free except for the canvas: points are written straight into an
// ImageData (one 32-bit store per pixel), which redraws 60 000 points in a few milliseconds in software
// Chromium, where 60 000 fillRect calls take tens. A uniform grid over the data answers hover and box queries.

export interface View {
  /** Data point at the canvas centre, and CSS pixels per data unit. */
  cx: number;
  cy: number;
  scale: number;
}

export class PointIndex {
  private readonly cellStart: Int32Array;
  private readonly order: Int32Array;
  static readonly CELLS = 128;

  constructor(
    readonly x: Float32Array,
    readonly y: Float32Array,
  ) {
    const C = PointIndex.CELLS;
    const n = x.length;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(C * C + 1);
    for (let i = 0; i < n; i++) {
      cellOf[i] = this.cell(x[i]!, y[i]!);
      counts[cellOf[i]! + 1]++;
    }
    for (let c = 0; c < C * C; c++) counts[c + 1] += counts[c]!;
    this.cellStart = counts;
    this.order = new Int32Array(n);
    const fill = counts.slice(0, C * C);
    for (let i = 0; i < n; i++) this.order[fill[cellOf[i]!]!++] = i;
  }

  private static coord(v: number): number {
    return Math.min(PointIndex.CELLS - 1, Math.max(0, Math.floor(((v + 1) / 2) * PointIndex.CELLS)));
  }

  private cell(x: number, y: number): number {
    return PointIndex.coord(y) * PointIndex.CELLS + PointIndex.coord(x);
  }

  /** Points inside the data box [x0, x1] x [y0, y1], ascending; undefined once more than `limit` are found. */
  box(x0: number, x1: number, y0: number, y1: number): number[];
  box(x0: number, x1: number, y0: number, y1: number, limit: number): number[] | undefined;
  box(x0: number, x1: number, y0: number, y1: number, limit = Infinity): number[] | undefined {
    const out: number[] = [];
    const C = PointIndex.CELLS;
    for (let cy = PointIndex.coord(y0); cy <= PointIndex.coord(y1); cy++) {
      for (let cx = PointIndex.coord(x0); cx <= PointIndex.coord(x1); cx++) {
        const c = cy * C + cx;
        for (let k = this.cellStart[c]!; k < this.cellStart[c + 1]!; k++) {
          const i = this.order[k]!;
          const px = this.x[i]!,
            py = this.y[i]!;
          if (px >= x0 && px <= x1 && py >= y0 && py <= y1 && out.push(i) > limit) return undefined;
        }
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** The point nearest (x, y) within `r` data units, or -1. */
  nearest(x: number, y: number, r: number): number {
    let best = -1;
    let bestD = r * r;
    for (const i of this.box(x - r, x + r, y - r, y + r)) {
      const d = (this.x[i]! - x) ** 2 + (this.y[i]! - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }
}

/** Canvas pixel of a data point (device pixels: dpr applied). */
export function toScreen(v: View, w: number, h: number, x: number, y: number): [number, number] {
  return [w / 2 + (x - v.cx) * v.scale, h / 2 - (y - v.cy) * v.scale];
}

export function toData(v: View, w: number, h: number, sx: number, sy: number): [number, number] {
  return [v.cx + (sx - w / 2) / v.scale, v.cy - (sy - h / 2) / v.scale];
}

/** Zoom by `factor` keeping the data point under (sx, sy) where it is. */
export function zoomAt(v: View, w: number, h: number, sx: number, sy: number, factor: number): View {
  const [dx, dy] = toData(v, w, h, sx, sy);
  const scale = Math.min(1e6, Math.max(10, v.scale * factor));
  return { scale, cx: dx - (sx - w / 2) / scale, cy: dy + (sy - h / 2) / scale };
}

/**
 * Draws the points into `img` (device pixels, `dpr` per CSS pixel): a square of `size` device pixels per point,
 * `colours[i]` as ABGR (little-endian RGBA), selected points on top in the highlight colour.
 */
export function rasterize(
  img: ImageData,
  v: View,
  dpr: number,
  x: Float32Array,
  y: Float32Array,
  colours: Uint32Array,
  background: number,
  selected: Uint8Array | undefined,
  highlight: number,
): number {
  const w = img.width,
    h = img.height;
  const px = new Uint32Array(img.data.buffer);
  px.fill(background);
  const size = Math.max(2, Math.min(6, Math.round(dpr * (1.5 + Math.log2(Math.max(1, v.scale / 200))))));
  const s = v.scale * dpr;
  const ox = w / 2 - v.cx * s,
    oy = h / 2 + v.cy * s;
  let drawn = 0;
  for (let pass = 0; pass < (selected ? 2 : 1); pass++) {
    for (let i = 0; i < x.length; i++) {
      if (selected && (selected[i] === 1) !== (pass === 1)) continue;
      const sx = (x[i]! * s + ox) | 0;
      const sy = (oy - y[i]! * s) | 0;
      if (sx < 0 || sy < 0 || sx + size > w || sy + size > h) continue;
      const c = pass === 1 ? highlight : colours[i]!;
      for (let r = 0; r < size; r++) px.fill(c, (sy + r) * w + sx, (sy + r) * w + sx + size);
      drawn++;
    }
  }
  return drawn;
}

/** CSS colour -> ABGR uint32 for ImageData (via a 1x1 canvas, so any CSS colour works). */
export function packColour(ctx: CanvasRenderingContext2D, css: string): number {
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillStyle = css;
  ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data;
  return ((255 << 24) | (d[2]! << 16) | (d[1]! << 8) | d[0]!) >>> 0;
}

/** Well-separated hues for ids (golden-angle steps), readable on dark and light backgrounds. */
export function idColour(id: number, light: boolean): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(1)}, 70%, ${light ? 42 : 62}%)`;
}
