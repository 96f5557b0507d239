// Makes `require('vscode')` resolve to ./vscode.ts for the modules under test (tsx compiles them to CommonJS).
import Module from 'node:module';
import { join } from 'node:path';

const target = join(__dirname, 'vscode.ts');
const m = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
const original = m._resolveFilename;
m._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? target : original.call(this, request, ...rest);
};
