/**
 * The `bigpicture.*` settings: which ones the server reads, which ones shape how it starts,
 * and which ones only the extension uses.
 */

/** Keys sent to the server (initializationOptions, workspace/configuration, didChangeConfiguration). */
export const SERVER_KEYS = [
  'model',
  'reviewOnSave',
  'baseBranch',
  'maxCostPerReview',
  'thinkingBudget',
  'cacheTtl',
  'include',
  'exclude',
  'minSeverity',
  'logLevel',
  'keepWarm',
  'debounceMs',
] as const;

/** Keys that decide the server's command line: changing one restarts the server. */
export const START_KEYS = ['serverCommand', 'pythonPath'] as const;

/** Keys only the extension reads (trace.server is read by vscode-languageclient). */
export const CLIENT_KEYS = ['confirmAbove', 'trace.server'] as const;

export const SECTION = 'bigpicture';

/** Reads one `bigpicture.<key>` setting (its default when unset). */
export type SettingReader = (key: string) => unknown;

/** The settings object the server receives: only the server's keys, with their current values. */
export function serverSettings(read: SettingReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = read(key);
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

export interface StartSettings {
  serverCommand: string[];
  pythonPath: string;
}

export function startSettings(read: SettingReader): StartSettings {
  const command = read('serverCommand');
  const python = read('pythonPath');
  return {
    serverCommand: Array.isArray(command) ? command.filter((a) => typeof a === 'string') : [],
    pythonPath: typeof python === 'string' ? python.trim() : '',
  };
}

/** The confirmation threshold in USD; a negative or missing value means "never ask". */
export function confirmAbove(read: SettingReader): number {
  const v = read('confirmAbove');
  return typeof v === 'number' && Number.isFinite(v) ? v : -1;
}

export type ConfigReaction = 'restart' | 'push' | 'none';

/**
 * What a configuration change means for the running server, given VS Code's
 * `affectsConfiguration` for full setting names.
 */
export function reactionTo(affects: (setting: string) => boolean): ConfigReaction {
  if (START_KEYS.some((k) => affects(`${SECTION}.${k}`))) {
    return 'restart';
  }
  if (SERVER_KEYS.some((k) => affects(`${SECTION}.${k}`))) {
    return 'push';
  }
  return 'none';
}
