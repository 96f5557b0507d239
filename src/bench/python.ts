// Debian's python3-torch / python3-faiss live in /usr/bin/python3's site-packages; a python3 earlier on PATH
// (pyenv, venvs) may not see them. The first interpreter that can import the module wins.
import { spawnSync } from 'node:child_process';

export function pythonWith(module: string): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0) return py;
  }
  return undefined;
}
