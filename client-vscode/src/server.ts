/** Starts, restarts and stops the language server, and carries commands and settings to it. */
import { type ApiKeyStore, ENV_NAME } from './apiKey';
import type { ClientHandle, ClientSpec, Host } from './host';
import { describeLaunch, resolveServerLaunch } from './serverCommand';
import { serverSettings, startSettings } from './settings';
import type { StatusModel } from './status';

export interface ServerHooks {
  onReviewFinished(summary: unknown): void;
  onProgress: ClientSpec['onProgress'];
  interceptCommand: ClientSpec['interceptCommand'];
}

export class ServerNotRunning extends Error {}

export class ServerController {
  private client: ClientHandle | undefined;
  /** Identifies the current start; callbacks of an older client are ignored. */
  private session: object | undefined;
  /** The stored key the running server was given (to restart only when it changes). */
  private keyAtStart: string | undefined;
  /** The start settings the running server was launched with (likewise). */
  private launchAtStart: string | undefined;
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
   * Restarts a running server whose start settings changed. Editors also report a change when
   * a settings file is merely rewritten, so the values are compared.
   */
  restartIfLaunchChanged(): Promise<void> {
    return this.serialize(async () => {
      if (this.client && this.launchSettings() !== this.launchAtStart) {
        this.host.log.info('Restarting the server: its start settings changed');
        await this.doStop();
        await this.start();
      }
    });
  }

  private launchSettings(): string {
    return JSON.stringify(startSettings((k) => this.host.setting(k)));
  }

  async executeCommand(command: string, args: unknown[]): Promise<unknown> {
    const client = await this.ensureStarted();
    return client.executeCommand(command, args);
  }

  /** Sends the current server settings (workspace/didChangeConfiguration), if the server runs. */
  async pushSettings(): Promise<void> {
    if (this.client) {
      await this.client.pushSettings(serverSettings((k) => this.host.setting(k)));
    }
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
      try {
        await client.stop();
      } catch (err) {
        this.host.log.warn(`Stopping the server: ${errorText(err)}`);
      }
    }
  }

  private async start(): Promise<ClientHandle> {
    const read = (k: string) => this.host.setting(k);
    const launch = resolveServerLaunch(startSettings(read), this.host.launchEnvironment());
    const session = {};
    this.session = session;
    this.status.set({ kind: 'starting' });
    const key = await this.keys.stored();
    const env = await this.keys.serverEnv();
    this.host.log.info(
      `Starting the server: ${describeLaunch(launch)} (from ${launch.origin}; ` +
        `API key ${key ? 'from secret storage' : env[ENV_NAME] ? "from the editor's environment" : 'not set'})`,
    );
    const launchSettings = this.launchSettings();
    const spec: ClientSpec = {
      launch,
      env,
      cwd: this.host.workspaceFolderPath(),
      initializationOptions: serverSettings(read),
      serverSettings: () => serverSettings(read),
      interceptCommand: this.hooks.interceptCommand,
      onReviewFinished: this.hooks.onReviewFinished,
      onProgress: this.hooks.onProgress,
      onStopped: () => {
        if (this.session === session) {
          this.client = undefined;
          this.session = undefined;
          this.status.set({ kind: 'stopped', reason: 'it exited' });
        }
      },
    };
    let client: ClientHandle;
    try {
      client = await this.host.startClient(spec);
    } catch (err) {
      const reason = errorText(err);
      this.session = undefined;
      this.host.log.error(`The server did not start: ${reason}`);
      this.status.set({ kind: 'stopped', reason: 'it did not start' });
      void this.host
        .error(
          `BigPicture: the language server did not start (${describeLaunch(launch)}). ` +
            'Install the bigpicture Python package, or set bigpicture.serverCommand or bigpicture.pythonPath.',
          'Show Log',
        )
        .then((choice) => choice === 'Show Log' && this.host.log.show());
      throw new ServerNotRunning(reason);
    }
    this.client = client;
    this.keyAtStart = key;
    this.launchAtStart = launchSettings;
    this.status.ready();
    return client;
  }
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
