/** Finds the command line that starts `bigpicture serve`. */
import * as path from 'node:path';
import type { StartSettings } from './settings';

export interface ServerLaunch {
  command: string;
  args: string[];
  /** Where the command came from, for the log. */
  origin:
    | 'bigpicture.serverCommand'
    | 'bigpicture.pythonPath'
    | 'Python extension'
    | 'PATH'
    | 'default python';
}

/** True when the user chose the command (a setting): it is not replaced by another on failure. */
export function isExplicit(launch: ServerLaunch): boolean {
  return launch.origin === 'bigpicture.serverCommand' || launch.origin === 'bigpicture.pythonPath';
}

export interface LaunchEnvironment {
  /** The PATH to search for the `bigpicture` console script. */
  pathVariable: string | undefined;
  platform: NodeJS.Platform;
  /** True when the file exists and can be executed. */
  isExecutable(file: string): boolean;
}

/**
 * The server's command line, first match wins: `bigpicture.serverCommand` (used verbatim),
 * `bigpicture.pythonPath -m bigpicture serve`, the interpreter selected in the Python
 * extension (`-m bigpicture serve`, as the Ruff and Black extensions use it), the `bigpicture`
 * console script on PATH, then `python3 -m bigpicture serve` (`python` on Windows).
 * vscode-languageclient appends `--stdio`, which the server accepts.
 */
export function resolveServerLaunch(
  settings: StartSettings,
  env: LaunchEnvironment,
  selectedInterpreter?: string,
): ServerLaunch {
  return serverLaunches(settings, env, selectedInterpreter)[0];
}

/**
 * Every command line worth trying, in order. A setting gives exactly one (the user's choice
 * fails loudly); otherwise the found ones follow each other, so that an interpreter selected for
 * the project without `bigpicture` in it does not hide a `bigpicture` installed with pipx.
 */
export function serverLaunches(
  settings: StartSettings,
  env: LaunchEnvironment,
  selectedInterpreter?: string,
): ServerLaunch[] {
  const [command, ...args] = settings.serverCommand;
  if (command) {
    return [{ command, args, origin: 'bigpicture.serverCommand' }];
  }
  const module = ['-m', 'bigpicture', 'serve'];
  if (settings.pythonPath) {
    return [{ command: settings.pythonPath, args: module, origin: 'bigpicture.pythonPath' }];
  }
  const found: ServerLaunch[] = [];
  if (selectedInterpreter) {
    found.push({ command: selectedInterpreter, args: module, origin: 'Python extension' });
  }
  const script = findOnPath('bigpicture', env);
  if (script) {
    found.push({ command: script, args: ['serve'], origin: 'PATH' });
  }
  found.push({
    command: env.platform === 'win32' ? 'python' : 'python3',
    args: module,
    origin: 'default python',
  });
  return found;
}

function findOnPath(name: string, env: LaunchEnvironment): string | undefined {
  const win = env.platform === 'win32';
  const sep = win ? ';' : ':';
  const join = win ? path.win32.join : path.posix.join;
  const names = win ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  for (const dir of (env.pathVariable ?? '').split(sep)) {
    if (!dir) {
      continue;
    }
    for (const n of names) {
      const candidate = join(dir, n);
      if (env.isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The command line as one string for the log (the environment, which holds the key, is never logged). */
export function describeLaunch(launch: ServerLaunch): string {
  const quote = (a: string) => (/[\s"']/.test(a) ? JSON.stringify(a) : a);
  return [launch.command, ...launch.args].map(quote).join(' ');
}
