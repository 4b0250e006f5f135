/**
 * What the extension's logic needs from the editor, as plain interfaces. `vscodeapi.ts`
 * implements them with the real VS Code API; the unit tests implement them with fakes.
 * Nothing here imports `vscode`.
 */
import type { ViewNode } from './findingsView';
import type { LaunchEnvironment, ServerLaunch } from './serverCommand';

export interface Disposable {
  dispose(): void;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  value: T;
}

export interface PickManyItem<T> extends PickItem<T> {
  picked: boolean;
}

/** The BigPicture view (a tree in the activity bar). */
export interface FindingsView {
  show(nodes: ViewNode[], info: { badge: number; badgeTooltip: string; message?: string }): void;
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

/** A cancellation signal for a long request (the user pressed Cancel on its progress). */
export interface CancelSignal {
  readonly cancelled: boolean;
  onCancel(listener: () => void): void;
}

/** The Python extension (ms-python.python), when installed: its selected interpreter. */
export interface PythonInterpreters {
  /** The interpreter selected for the workspace, as an executable path. */
  selected(): Promise<string | undefined>;
  /** Runs the Python extension's "Python: Select Interpreter". */
  select(): Promise<void>;
  /** Fires when the selected interpreter changes. */
  onDidChange(listener: () => void): Disposable;
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
  /** The server asks to open a document: true when the extension shows it another way. */
  interceptShowDocument(uri: string): boolean;
  /**
   * The server's window/showMessage; return true when the extension shows it itself (or
   * folds it into a message of its own).
   */
  onShowMessage(level: 'error' | 'warn' | 'info', message: string): boolean;
  /** Any other notification from the server, by method (bigpicture/findingsChanged, ...). */
  onNotification(method: string, params: unknown): void;
}

/** A started language client. */
export interface ClientHandle {
  /** The commands the server said it executes (its executeCommandProvider). */
  readonly commands: readonly string[];
  executeCommand(command: string, args: unknown[], cancel?: CancelSignal): Promise<unknown>;
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
  /** A modal question with several answers; undefined when dismissed. */
  ask(message: string, detail: string, actions: string[]): Promise<string | undefined>;
  /** A masked input box; undefined when dismissed. */
  askSecret(
    prompt: string,
    placeHolder: string,
    validate: (value: string) => string | undefined,
  ): Promise<string | undefined>;
  pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined>;
  /** A quick pick with checkboxes; undefined when dismissed. */
  pickMany<T>(items: PickManyItem<T>[], placeHolder: string): Promise<T[] | undefined>;
  /** Sets a context key for `when` clauses (menus of the view). */
  setContext(key: string, value: unknown): void;
  findingsView: FindingsView;
  /** The value of `bigpicture.<key>` (its default when unset). */
  setting(key: string): unknown;
  /** True when the user set `bigpicture.<key>` in some scope. */
  settingIsSet(key: string): boolean;
  /**
   * Writes `bigpicture.<key>` to the user settings (for a machine setting in a remote window,
   * the remote machine's, where the server runs).
   */
  updateSetting(key: string, value: unknown): Promise<void>;
  /** Opens the Settings editor at the scope where `bigpicture.<key>` takes effect, on that key. */
  openSettings(key: string): Promise<void>;
  /** The Python extension, when it is installed. */
  python(): PythonInterpreters | undefined;
  /** A file picker for one executable; undefined when dismissed. */
  pickFile(title: string, openLabel: string): Promise<string | undefined>;
  /**
   * A progress notification around `task` (one item: title and the latest message); the
   * signal fires when the user presses Cancel.
   */
  withProgress<T>(title: string, task: (report: (message: string) => void, cancel: CancelSignal) => Promise<T>): Promise<T>;
  onSettingsChanged(listener: (affects: (setting: string) => boolean) => void): Disposable;
  /** A file of the workspace was saved (its URI). */
  onFileSaved(listener: (uri: string) => void): Disposable;
  /** Runs `fn` once after `ms` milliseconds; dispose to cancel. */
  setTimer(ms: number, fn: () => void): Disposable;
  secrets: Secrets;
  /** The file URI of the active editor's document, if it is a file. */
  activeFileUri(): string | undefined;
  /** The first workspace folder's path (the server's working directory). */
  workspaceFolderPath(): string | undefined;
  /** Opens a document by URI; shows `fallbackText` read-only if it cannot be opened. */
  openDocument(uri: string, title: string, fallbackText: string): Promise<void>;
  /** Shows text in a read-only editor tab. */
  showText(title: string, text: string): Promise<void>;
  /** Shows the plan (Markdown text) as a read-only document of the `bigpicture-plan:` scheme. */
  showPlan(title: string, text: string): Promise<void>;
  /** Shows Markdown rendered (the Markdown preview of a read-only document) in a tab titled `title`. */
  showMarkdown(title: string, markdown: string): Promise<void>;
  showProblems(): Promise<void>;
  status: StatusView;
  log: Log;
  processEnv(): Record<string, string | undefined>;
  launchEnvironment(): LaunchEnvironment;
  startClient(spec: ClientSpec): Promise<ClientHandle>;
}
