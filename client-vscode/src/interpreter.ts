/**
 * Finding a Python that can run the server: the message when it does not start, and "Select
 * Interpreter" (the Python extension's picker when it is installed, as the Ruff and Black
 * extensions use it; otherwise a file picker that writes `bigpicture.pythonPath`).
 */
import type { Host } from './host';
import { type ServerController, shortReason } from './server';
import { describeLaunch, type ServerLaunch } from './serverCommand';
import { startSettings } from './settings';

export class Interpreter {
  constructor(
    private readonly host: Host,
    private readonly server: ServerController,
  ) {}

  /**
   * One message for a failed start, with what to do: select an interpreter, or open the
   * setting that chose the command line (at the scope where it takes effect).
   */
  startFailed(tried: ServerLaunch[], reason: string): void {
    const last = tried[tried.length - 1];
    const fromCommand = last?.origin === 'bigpicture.serverCommand';
    const how = tried.map(describeLaunch).join('", then "');
    const fix = fromCommand
      ? 'Check bigpicture.serverCommand.'
      : 'Select a Python interpreter that has the bigpicture package installed, or set bigpicture.pythonPath.';
    const actions = fromCommand ? ['Open Settings', 'Show Log'] : ['Select Interpreter', 'Open Settings', 'Show Log'];
    void this.host
      .error(`BigPicture: the language server did not start ("${how}": ${shortReason(reason)}). ${fix}`, ...actions)
      .then(async (choice) => {
        if (choice === 'Select Interpreter') {
          await this.select();
        } else if (choice === 'Open Settings') {
          await this.host.openSettings(fromCommand ? 'serverCommand' : 'pythonPath');
        } else if (choice === 'Show Log') {
          this.host.log.show();
        }
      });
  }

  /**
   * "Select Interpreter". With the Python extension its picker decides, and a change of its
   * selection restarts the server (unless a setting names the command line; then the selected
   * interpreter is written to `bigpicture.pythonPath`). Without it, a file picker writes
   * `bigpicture.pythonPath`. Either way the change restarts the server.
   */
  async select(): Promise<void> {
    const python = this.host.python();
    const settings = startSettings((k) => this.host.setting(k));
    if (python) {
      await python.select();
      if (settings.pythonPath && settings.serverCommand.length === 0) {
        const chosen = await python.selected();
        if (chosen && chosen !== settings.pythonPath) {
          await this.host.updateSetting('pythonPath', chosen);
        }
      }
      return;
    }
    const file = await this.host.pickFile(
      'BigPicture: a Python interpreter with the bigpicture package',
      'Use This Interpreter',
    );
    if (!file) {
      return;
    }
    if (settings.serverCommand.length > 0) {
      void this.host.warn(
        'BigPicture: bigpicture.serverCommand is set and takes precedence over bigpicture.pythonPath.',
        'Open Settings',
      ).then(async (choice) => {
        if (choice === 'Open Settings') {
          await this.host.openSettings('serverCommand');
        }
      });
    }
    await this.host.updateSetting('pythonPath', file);
    this.host.log.info(`bigpicture.pythonPath set to ${file}`);
    // The settings change restarts the server; without a change event (same value) try now.
    if (!this.server.running) {
      await this.server.restartIfLaunchChanged();
    }
  }
}
