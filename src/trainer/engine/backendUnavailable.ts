import type { BackendName } from '../../protocol/config';

/** A probe's way of saying "this backend cannot run here, and this is why" (one line, for users). */
export class BackendUnavailable extends Error {
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super(`The ${backend} backend is unavailable: ${reason}`);
    this.name = 'BackendUnavailable';
  }
}

/** The one-line reason of any error a probe or an activation threw. */
export function reasonOf(err: unknown): string {
  if (err instanceof BackendUnavailable) return err.reason;
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim() || 'unknown error';
}
