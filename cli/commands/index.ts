import type { CliCommand } from '../command';
import { inspect } from './inspect';
import { tokenize } from './tokenize';
import { generate } from './generate';
import { logits } from './logits';
import { bench } from './bench';
import { passkey } from './passkey';
import { demo } from './demo';
import { ask } from './ask';
import { summarize } from './summarize';

export const commands: Record<string, CliCommand> = { demo, inspect, tokenize, generate, logits, passkey, bench, ask, summarize };
