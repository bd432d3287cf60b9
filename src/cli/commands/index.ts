import type { Command } from '../command.ts';
import { fitCommand } from './fit.ts';
import { inspectCommand } from './inspect.ts';
import { pathCommand } from './path.ts';
import { predictCommand } from './predict.ts';
import { pruneCommand } from './prune.ts';

/**
 * Every subcommand, in help order. A new command (`predict`, `inspect`, `prune`, …) is one module
 * exporting a Command, added here.
 */
export const COMMANDS: readonly Command[] = [fitCommand, pathCommand, predictCommand, inspectCommand, pruneCommand];
