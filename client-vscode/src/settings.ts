/**
 * The `bigpicture.*` settings: which ones the server reads, which ones shape how it starts,
 * and which ones only the extension uses.
 *
 * package.json is the one list: its server settings are generated from the server's own
 * (tests/test_vscode_settings.py checks them), and the server keys here are read from it.
 */
import manifest from '../package.json';

/** Keys that decide the server's command line: changing one restarts the server. */
export const START_KEYS = ['serverCommand', 'pythonPath'] as const;

/** Keys only the extension reads (trace.server is read by vscode-languageclient). */
export const CLIENT_KEYS = ['confirmAbove', 'trace.server'] as const;

export const SECTION = 'bigpicture';

interface PropertySchema {
  type: string | string[];
  default?: unknown;
}

const PROPERTIES = manifest.contributes.configuration.properties as Record<string, PropertySchema>;

const notServer = new Set<string>([...START_KEYS, ...CLIENT_KEYS]);

/** Keys sent to the server (initializationOptions, workspace/configuration, didChangeConfiguration). */
export const SERVER_KEYS: readonly string[] = Object.keys(PROPERTIES)
  .map((k) => k.slice(SECTION.length + 1))
  .filter((k) => !notServer.has(k));

/**
 * Server settings that can be unset (`null` on the server). VS Code's Settings editor cannot
 * edit a null-able value, so they are contributed with an empty default ("" or 0) that is sent
 * as null.
 */
export const NULLABLE_KEYS: readonly string[] = SERVER_KEYS.filter((k) => {
  const s = PROPERTIES[`${SECTION}.${k}`];
  return (s.type === 'string' && s.default === '') || (s.type === 'integer' && s.default === 0);
});

/** Reads one `bigpicture.<key>` setting (its default when unset). */
export type SettingReader = (key: string) => unknown;
/** True when the user set `bigpicture.<key>` somewhere (user, remote, workspace or folder). */
export type SettingIsSet = (key: string) => boolean;

/**
 * The settings object the server receives: the server's keys the user set, with their values.
 * Unset keys are left out, so the server's own default or the workspace's
 * `[tool.bigpicture]` in pyproject.toml applies instead of VS Code's copy of the default.
 * `reviewOnSave` is always sent as "off": the extension reviews on save itself (onSave.ts).
 */
export function serverSettings(read: SettingReader, isSet: SettingIsSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    if (!isSet(key)) {
      continue;
    }
    const value = read(key);
    if (value === undefined) {
      continue;
    }
    out[key] = NULLABLE_KEYS.includes(key) && (value === '' || value === 0) ? null : value;
  }
  // The extension runs the review on save itself (onSave.ts), so that it follows confirmAbove.
  out.reviewOnSave = 'off';
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

/** The server's cost limit in USD, as set in VS Code (the server may have another from pyproject.toml). */
export function maxCostPerReview(read: SettingReader): number | undefined {
  const v = read('maxCostPerReview');
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
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
