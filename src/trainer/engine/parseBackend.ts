import { BACKENDS, type BackendRequest } from '../../protocol/config';

/** Checks a backend name from the CLI or settings; an unknown name is an error that lists the valid ones. */
export function parseBackend(name: string): BackendRequest {
  const wanted = name.trim().toLowerCase();
  const known = (BACKENDS as readonly string[]).find((b) => b === wanted);
  if (known === undefined) {
    throw new Error(`Unknown backend "${name}". Valid backends: ${BACKENDS.join(', ')}.`);
  }
  return known as BackendRequest;
}
