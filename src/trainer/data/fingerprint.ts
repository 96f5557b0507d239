import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha1 of a file's bytes, streamed (IDX and CIFAR files are fingerprinted by content, so copies share a cache). */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha1 of a list of strings, each terminated (so ['ab','c'] and ['a','bc'] differ). */
export function hashStrings(parts: Iterable<string>): string {
  const hash = createHash('sha1');
  for (const p of parts) hash.update(p).update('\0');
  return hash.digest('hex');
}
