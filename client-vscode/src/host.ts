/**
 * What the extension's logic needs from the editor, as plain interfaces. `vscodeapi.ts`
 * implements them with the real VS Code API; the unit tests implement them with fakes.
 * Nothing here imports `vscode`.
 */
import type { LaunchEnvironment, ServerLaunch } from './serverCommand';

export interface Disposable {
  dispose(): void;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  value: T;
}

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(): void;
}

export interface StatusView {
  update(text: string, tooltip: string): void;
}

export interface Secrets {
  get(key: string): Promise<string | undefined>;
  store(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  onDidChange(listener: (key: string) => void): Disposable;
}

export interface ProgressUpdate {
  token: string;
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
}

/** How to start the language client and what to do with the traffic the extension cares about. */
export interface ClientSpec {
  launch: ServerLaunch;
  /** The server process's environment (holds ANTHROPIC_API_KEY when one is stored). */
  env: Record<string, string | undefined>;
  cwd: string | undefined;
  initializationOptions: Record<string, unknown>;
  /** The answer to the server's workspace/configuration pull of the `bigpicture` section. */
  serverSettings(): Record<string, unknown>;
  /** Sees every server command the editor runs (code actions) on its way to the server. */
  interceptCommand(
    command: string,
    args: unknown[],
    forward: (args: unknown[]) => Promise<unknown>,
  ): Promise<unknown>;
  onReviewFinished(summary: unknown): void;
  /**
   * The server's work-done progress (a review's stages). The client shows it as a cancellable
   * notification itself; this is for the status bar.
   */
  onProgress(update: ProgressUpdate): void;
  /** Called when the client gives up on the server (it crashed too often, or stopped). */
  onStopped(): void;
}

/** A started language client. */
export interface ClientHandle {
  executeCommand(command: string, args: unknown[]): Promise<unknown>;
  pushSettings(settings: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export interface Host {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable;
  info(message: string, ...actions: string[]): Promise<string | undefined>;
  warn(message: string, ...actions: string[]): Promise<string | undefined>;
  error(message: string, ...actions: string[]): Promise<string | undefined>;
  /** A modal confirmation; true only when the user chose `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  /** A masked input box; undefined when dismissed. */
  askSecret(
    prompt: string,
    placeHolder: string,
    validate: (value: string) => string | undefined,
  ): Promise<string | undefined>;
  pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined>;
  /** The value of `bigpicture.<key>` (its default when unset). */
  setting(key: string): unknown;
  onSettingsChanged(listener: (affects: (setting: string) => boolean) => void): Disposable;
  secrets: Secrets;
  /** The file URI of the active editor's document, if it is a file. */
  activeFileUri(): string | undefined;
  /** The first workspace folder's path (the server's working directory). */
  workspaceFolderPath(): string | undefined;
  /** Opens a document by URI; shows `fallbackText` read-only if it cannot be opened. */
  openDocument(uri: string, title: string, fallbackText: string): Promise<void>;
  /** Shows text in a read-only editor tab. */
  showText(title: string, text: string): Promise<void>;
  showProblems(): Promise<void>;
  status: StatusView;
  log: Log;
  processEnv(): Record<string, string | undefined>;
  launchEnvironment(): LaunchEnvironment;
  startClient(spec: ClientSpec): Promise<ClientHandle>;
}
