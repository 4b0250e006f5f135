/** Starts, restarts and stops the language server, and carries commands and settings to it. */
import { type ApiKeyStore, ENV_NAME } from './apiKey';
import type { CancelSignal, ClientHandle, ClientSpec, Host } from './host';
import { describeLaunch, isExplicit, type ServerLaunch, serverLaunches } from './serverCommand';
import { serverSettings, startSettings } from './settings';
import type { StatusModel } from './status';

export interface ServerHooks {
  onReviewFinished(summary: unknown): void;
  onProgress: ClientSpec['onProgress'];
  interceptCommand: ClientSpec['interceptCommand'];
  interceptShowDocument: ClientSpec['interceptShowDocument'];
  onShowMessage: ClientSpec['onShowMessage'];
  onNotification: ClientSpec['onNotification'];
  /** Called once per failed start with what was tried (the one message the user sees). */
  onStartFailed(tried: ServerLaunch[], reason: string): void;
  /** The server started (true) or stopped (false). */
  onRunning?(running: boolean): void;
}

export class ServerNotRunning extends Error {}

export class ServerController {
  private client: ClientHandle | undefined;
  /** Identifies the current start; callbacks of an older client are ignored. */
  private session: object | undefined;
  /** The stored key the running server was given (to restart only when it changes). */
  private keyAtStart: string | undefined;
  /** The command lines the running (or last failed) server was resolved from (likewise). */
  private launchAtStart: string | undefined;
  /** The last start failed (settings that change the command line start it again). */
  private failed = false;
  /** Start, stop and restart run one after another, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: Host,
    private readonly keys: ApiKeyStore,
    private readonly status: StatusModel,
    private readonly hooks: ServerHooks,
  ) {}

  get running(): boolean {
    return this.client !== undefined;
  }

  /** The running server executes `command` (a newer part of the contract may be missing). */
  supports(command: string): boolean {
    return this.client?.commands.includes(command) ?? false;
  }

  /** The started client, starting the server first if needed (after any pending restart). */
  ensureStarted(): Promise<ClientHandle> {
    return this.serialize(async () => this.client ?? this.start());
  }

  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }

  restart(): Promise<ClientHandle> {
    return this.serialize(async () => {
      this.host.log.info('Restarting the server');
      await this.doStop();
      return this.start();
    });
  }

  /** Restarts a running server whose environment no longer has the stored key. */
  restartIfKeyChanged(): Promise<void> {
    // Decided inside the queue, so two notices of one change restart once.
    return this.serialize(async () => {
      const key = await this.keys.stored();
      if (this.client && key !== this.keyAtStart) {
        this.host.log.info('Restarting the server with the new API key');
        await this.doStop();
        await this.start();
      }
    });
  }

  /**
   * (Re)starts the server when its command line changed: a start setting, or the interpreter
   * selected in the Python extension. Also after a failed start, which is the moment users
   * change them. Editors also report a change when a settings file is merely rewritten, so the
   * values are compared.
   */
  restartIfLaunchChanged(): Promise<void> {
    return this.serialize(async () => {
      if (!this.client && !this.failed) {
        return; // not started yet: the first start reads the settings anyway
      }
      const launch = await this.launchKey();
      if (launch === this.launchAtStart) {
        return;
      }
      this.host.log.info(
        this.client ? 'Restarting the server: its command line changed' : 'Starting the server with the new settings',
      );
      await this.doStop();
      await this.start().catch(() => undefined); // a failure is reported by start
    });
  }

  private async launches(): Promise<ServerLaunch[]> {
    const settings = startSettings((k) => this.host.setting(k));
    let selected: string | undefined;
    const explicit = settings.serverCommand.length > 0 || settings.pythonPath !== '';
    const python = explicit ? undefined : this.host.python();
    if (python) {
      try {
        selected = await python.selected();
      } catch (err) {
        this.host.log.warn(`The Python extension's interpreter: ${errorText(err)}`);
      }
    }
    return serverLaunches(settings, this.host.launchEnvironment(), selected);
  }

  private async launchKey(): Promise<string> {
    return JSON.stringify(await this.launches());
  }

  async executeCommand(command: string, args: unknown[], cancel?: CancelSignal): Promise<unknown> {
    const client = await this.ensureStarted();
    return client.executeCommand(command, args, cancel);
  }

  /** Sends the current server settings (workspace/didChangeConfiguration), if the server runs. */
  async pushSettings(): Promise<void> {
    if (this.client) {
      await this.client.pushSettings(this.settings());
    }
  }

  private settings(): Record<string, unknown> {
    return serverSettings(
      (k) => this.host.setting(k),
      (k) => this.host.settingIsSet(k),
    );
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op, op);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.session = undefined;
    if (client) {
      this.hooks.onRunning?.(false);
      try {
        await client.stop();
      } catch (err) {
        this.host.log.warn(`Stopping the server: ${errorText(err)}`);
      }
    }
  }

  /** Tries each command line in turn (one for a setting); reports one failure at the end. */
  private async start(): Promise<ClientHandle> {
    const launches = await this.launches();
    const launchKey = JSON.stringify(launches);
    this.status.set({ kind: 'starting' });
    const key = await this.keys.stored();
    const env = await this.keys.serverEnv();
    let reason = '';
    for (const launch of launches) {
      this.host.log.info(
        `Starting the server: ${describeLaunch(launch)} (from ${launch.origin}; ` +
          `API key ${key ? 'from secret storage' : env[ENV_NAME] ? "from the editor's environment" : 'not set'})`,
      );
      try {
        const client = await this.startOne(launch, env);
        this.client = client;
        this.failed = false;
        this.keyAtStart = key;
        this.launchAtStart = launchKey;
        this.status.ready();
        this.hooks.onRunning?.(true);
        return client;
      } catch (err) {
        reason = errorText(err);
        this.host.log.error(`The server did not start with ${describeLaunch(launch)}: ${reason}`);
        if (isExplicit(launch)) {
          break;
        }
      }
    }
    this.failed = true;
    this.launchAtStart = launchKey;
    this.status.set({ kind: 'stopped', reason: 'it did not start' });
    this.hooks.onStartFailed(launches, reason);
    throw new ServerNotRunning(reason);
  }

  private async startOne(launch: ServerLaunch, env: Record<string, string | undefined>): Promise<ClientHandle> {
    const session = {};
    this.session = session;
    const spec: ClientSpec = {
      launch,
      env,
      cwd: this.host.workspaceFolderPath(),
      initializationOptions: this.settings(),
      serverSettings: () => this.settings(),
      interceptCommand: this.hooks.interceptCommand,
      interceptShowDocument: this.hooks.interceptShowDocument,
      onShowMessage: this.hooks.onShowMessage,
      onReviewFinished: this.hooks.onReviewFinished,
      onProgress: this.hooks.onProgress,
      onNotification: this.hooks.onNotification,
      onStopped: () => {
        if (this.session === session) {
          this.client = undefined;
          this.session = undefined;
          this.status.set({ kind: 'stopped', reason: 'it exited' });
          this.hooks.onRunning?.(false);
        }
      },
    };
    try {
      return await this.host.startClient(spec);
    } catch (err) {
      this.session = undefined;
      throw err;
    }
  }
}

/** An error's message, first line, for a toast (the whole of it goes to the log). */
export function shortReason(reason: string): string {
  const line = reason.split('\n')[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  if (typeof err === 'object' && err !== null && 'message' in err) {
    return String((err as { message: unknown }).message);
  }
  return String(err);
}
