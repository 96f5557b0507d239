// Every random choice of an epoch derives from (run seed, epoch, purpose), so `resume` replays exactly the
// schedule an uninterrupted run would have followed without having to persist generator states.

/** A 32-bit seed for one purpose in one epoch (FNV-1a over the triple, then a murmur finaliser). */
export function epochSeed(runSeed: number, epoch: number, purpose: string): number {
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h ^= v & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const v of [runSeed, runSeed >>> 8, runSeed >>> 16, runSeed >>> 24, epoch, epoch >>> 8, epoch >>> 16]) mix(v);
  for (let i = 0; i < purpose.length; i++) mix(purpose.charCodeAt(i));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
