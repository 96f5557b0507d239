// Flag reading shared by every command's parser: node's parseArgs in non-strict mode, checked by us, so every
// error is one line naming the flag. Each command's own flags and rules are in <command>Args.ts.
import * as path from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import type { ArchName, TrainConfig } from '../../protocol/config';
import { parseIndexList } from '../analyze/indexList';
import { UsageError } from '../usageError';
import { helpText, type CommandName } from './help';

export type FlagKind = 'posint' | 'seed' | 'float' | 'path' | 'bool' | 'enum' | 'text';
export interface FlagSpec {
  kind: FlagKind;
  key?: keyof TrainConfig;
  values?: readonly string[];
}

/** Where relative paths start and what time the default --out names carry. */
export interface ParseContext {
  cwd: string;
  now: Date;
}

export interface ParsedHelp {
  command: 'help';
  topic?: CommandName;
  text: string;
}

/** The command's help when --help / -h was given. */
export function helpIfAsked(command: CommandName, values: Map<string, string>): ParsedHelp | undefined {
  return values.has('help') ? { command: 'help', topic: command, text: helpText(command) } : undefined;
}

/**
 * Read flags with node's parseArgs in non-strict mode and check them ourselves, so every error is ours: one
 * line, naming the flag. Returns raw string values ('' for booleans), last occurrence wins.
 */
export function readFlags(command: CommandName, args: string[], specs: Record<string, FlagSpec>) {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, { type: s.kind === 'bool' ? 'boolean' : 'string' } as const]),
  );
  const { tokens } = nodeParseArgs({
    args,
    options: { ...options, h: { type: 'boolean' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string>();
  const positionals: string[] = [];
  for (const token of tokens ?? []) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const name = token.name === 'h' ? 'help' : token.name;
    const spec = specs[name];
    if (!spec) {
      throw new UsageError(
        `unknown flag ${token.rawName} for \`deepcluster ${command}\` (see deepcluster ${command} --help)`,
      );
    }
    if (spec.kind === 'bool') {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value (got '${token.value}')`);
      values.delete(name); // re-insert so the map's order is the order of last occurrence
      values.set(name, '');
      continue;
    }
    const value = token.value;
    if (value === undefined || value === '' || (!token.inlineValue && /^--[a-z]/.test(value))) {
      throw new UsageError(`--${name} needs a value`);
    }
    values.delete(name);
    values.set(name, value);
  }
  for (const [name, value] of values) {
    const spec = specs[name]!;
    if (spec.kind === 'enum' && !spec.values!.includes(value)) {
      throw new UsageError(`--${name}: unknown ${name} '${value}'; valid: ${spec.values!.join(', ')}`);
    }
  }
  return { values, positionals };
}

export function noPositionals(command: CommandName, positionals: string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}' for \`deepcluster ${command}\` (flags start with --)`,
    );
  }
}

export function onePositional(command: CommandName, what: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError(`\`deepcluster ${command}\` needs ${what}`);
  if (positionals.length > 1)
    throw new UsageError(`\`deepcluster ${command}\` takes one ${what}, got '${positionals[1]}' too`);
  return positionals[0]!;
}

export function positiveInt(flag: string, value: string): number {
  const n = /^\+?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function indexList(flag: string, value: string): number[] {
  try {
    return parseIndexList(value);
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
}

export function positiveNumber(flag: string, value: string): number {
  const n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a positive number, got '${value}'`);
  return n;
}

/** ./runs/<timestamp>-<arch> with a local timestamp like 20250131-142500. */
export function defaultOutDir(arch: ArchName, now: Date, cwd: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}` +
    `-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return path.resolve(cwd, 'runs', `${stamp}-${arch}`);
}
