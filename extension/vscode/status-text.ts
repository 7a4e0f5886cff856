// Status-bar text for the model and the current activity. Pure so it is tested without VS Code.
import type { ModelStatus, ProgressPhase } from '../protocol';

export interface Activity {
  phase: ProgressPhase;
  fraction?: number;
  /** e.g. "12.3 tok/s" while generating. */
  detail?: string;
}

export function statusBarText(model: ModelStatus, activity: Activity): { text: string; tooltip: string } {
  const name = model.name ?? 'no model';
  const pct = (f: number | undefined): string => (f === undefined ? '' : ` ${Math.round(f * 100)}%`);
  let state: string;
  switch (activity.phase) {
    case 'loading-model':
      state = `loading${pct(activity.fraction ?? model.fraction)}`;
      break;
    case 'reading-repository':
      state = `reading repository${pct(activity.fraction)}`;
      break;
    case 'prefill':
      state = `reading prompt${pct(activity.fraction)}`;
      break;
    case 'generating':
      state = activity.detail ? `generating ${activity.detail}` : 'generating';
      break;
    case 'summarizing':
      state = `summarizing${pct(activity.fraction)}`;
      break;
    default:
      state = model.phase === 'loading' ? `loading${pct(model.fraction)}` : model.phase === 'ready' ? 'ready' : model.phase === 'error' ? 'error' : model.phase === 'unset' ? 'select a model' : 'not loaded';
  }
  const icon = activity.phase !== 'idle' || model.phase === 'loading' ? '$(sync~spin)' : model.phase === 'error' ? '$(error)' : '$(hubot)';
  const tooltip = model.phase === 'error' && model.message ? `SelfExtend: ${model.message}` : `SelfExtend — ${name}: ${state}. Click for engine status.`;
  return { text: `${icon} ${model.phase === 'unset' ? 'SelfExtend' : name}: ${state}`, tooltip };
}
