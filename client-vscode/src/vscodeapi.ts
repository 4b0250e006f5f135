/**
 * The one module that calls the VS Code API (and vscode-languageclient, which calls it too):
 * it implements `Host` for the rest of the extension. Keep it thin: no decisions here.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  CancellationTokenSource,
  type ClientCapabilities,
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  type ErrorHandler,
  ExecuteCommandRequest,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  type ProgressToken,
  type ServerOptions,
  ShowMessageNotification,
  State,
  type StaticFeature,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';
import manifest from '../package.json';
import type { ViewNode } from './findingsView';
import type {
  CancelSignal,
  ClientHandle,
  ClientSpec,
  FindingsView,
  Host,
  PickItem,
  PickManyItem,
  PythonInterpreters,
} from './host';
import { FINDINGS_CHANGED, REVIEW_FINISHED } from './protocol';
import { SECTION } from './settings';

const VIEW_SCHEME = 'bigpicture-view';
const PLAN_SCHEME = 'bigpicture-plan';
const PROPERTIES = manifest.contributes.configuration.properties as Record<string, { scope?: string }>;

export function createHost(context: vscode.ExtensionContext, statusCommand: string): Host {
  const log = vscode.window.createOutputChannel('BigPicture', { log: true });
  const trace = new TraceChannel();
  const status = vscode.window.createStatusBarItem('bigpicture.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'BigPicture';
  status.command = statusCommand;
  status.show();
  const views = new ReadOnlyViews(VIEW_SCHEME);
  const plans = new ReadOnlyViews(PLAN_SCHEME);
  const python = new PythonExtension();
  const findings = new FindingsTree();
  context.subscriptions.push(
    findings,
    log,
    trace,
    status,
    python,
    vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, views),
    vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, plans),
  );

  const message =
    (show: typeof vscode.window.showInformationMessage) =>
    (text: string, ...actions: string[]) =>
      Promise.resolve(show(text, ...actions));

  return {
    registerCommand: (id, handler) => vscode.commands.registerCommand(id, handler),
    info: message(vscode.window.showInformationMessage),
    warn: message(vscode.window.showWarningMessage),
    error: message(vscode.window.showErrorMessage),
    confirm: async (text, detail, action) =>
      (await vscode.window.showWarningMessage(text, { modal: true, detail }, action)) === action,
    ask: async (text, detail, actions) => vscode.window.showWarningMessage(text, { modal: true, detail }, ...actions),
    askSecret: async (prompt, placeHolder, validate) =>
      vscode.window.showInputBox({
        title: 'BigPicture: Set API Key',
        prompt,
        placeHolder,
        password: true,
        ignoreFocusOut: true,
        validateInput: validate,
      }),
    pick: async <T>(items: PickItem<T>[], placeHolder: string) =>
      (await vscode.window.showQuickPick(items, { placeHolder }))?.value,
    pickMany: async <T>(items: PickManyItem<T>[], placeHolder: string) =>
      (await vscode.window.showQuickPick(items, { placeHolder, canPickMany: true }))?.map((i) => i.value),
    setContext: (key, value) => {
      void vscode.commands.executeCommand('setContext', key, value);
    },
    findingsView: findings,
    setting: (key) => vscode.workspace.getConfiguration(SECTION).get(key),
    settingIsSet: (key) => {
      const i = vscode.workspace.getConfiguration(SECTION).inspect(key);
      return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue].some((v) => v !== undefined);
    },
    // (VS Code writes a machine setting with target Global to the remote machine's settings in a
    // remote window.)
    updateSetting: async (key, value) => {
      await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
    },
    openSettings: async (key) => {
      // A machine setting takes effect in a remote window only in the Remote settings (the User
      // tab there does not even show it).
      const machine = (PROPERTIES[`${SECTION}.${key}`]?.scope ?? '').startsWith('machine');
      const command =
        vscode.env.remoteName && machine ? 'workbench.action.openRemoteSettings' : 'workbench.action.openSettings';
      await vscode.commands.executeCommand(command, { query: `${SECTION}.${key}` });
    },
    python: () => python.get(),
    pickFile: async (title, openLabel) => {
      const picked = await vscode.window.showOpenDialog({
        title,
        openLabel,
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      return picked?.[0]?.fsPath;
    },
    withProgress: (title, task) =>
      Promise.resolve(
        vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title, cancellable: true },
          (progress, token) => task((message) => progress.report({ message }), signalOf(token)),
        ),
      ),
    onSettingsChanged: (listener) =>
      vscode.workspace.onDidChangeConfiguration((e) => listener((s) => e.affectsConfiguration(s))),
    onFileSaved: (listener) =>
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(doc.uri)) {
          listener(doc.uri.toString());
        }
      }),
    setTimer: (ms, fn) => {
      const handle = setTimeout(fn, ms);
      return { dispose: () => clearTimeout(handle) };
    },
    secrets: {
      get: async (key) => context.secrets.get(key),
      store: async (key, value) => context.secrets.store(key, value),
      delete: async (key) => context.secrets.delete(key),
      onDidChange: (listener) => context.secrets.onDidChange((e) => listener(e.key)),
    },
    activeFileUri: () => {
      const uri = vscode.window.activeTextEditor?.document.uri;
      return uri?.scheme === 'file' ? uri.toString() : undefined;
    },
    workspaceFolderPath: () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    openDocument: async (uri, title, fallbackText) => {
      try {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri, true));
        await vscode.window.showTextDocument(doc, { preview: true });
      } catch {
        await showView(views, title, fallbackText);
      }
    },
    showText: (title, text) => showView(views, title, text),
    showPlan: (title, text) => showView(plans, title, text),
    showMarkdown: async (title, markdown) => {
      const uri = views.set(title.replace(/[\\/]/g, '-'), markdown);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    },
    showProblems: async () => {
      await vscode.commands.executeCommand('workbench.actions.view.problems');
    },
    status: {
      update: (text, tooltip) => {
        status.text = text;
        status.tooltip = tooltip;
      },
    },
    log: {
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
      show: () => log.show(true),
    },
    processEnv: () => ({ ...process.env }),
    launchEnvironment: () => ({
      pathVariable: process.env.PATH,
      platform: process.platform,
      isExecutable: (file) => {
        try {
          fs.accessSync(file, fs.constants.X_OK);
          return fs.statSync(file).isFile();
        } catch {
          return false;
        }
      },
    }),
    startClient: (spec) => startClient(spec, log, trace),
  };
}

async function startClient(
  spec: ClientSpec,
  log: vscode.LogOutputChannel,
  trace: TraceChannel,
): Promise<ClientHandle> {
  const serverOptions: ServerOptions = {
    command: spec.launch.command,
    args: spec.launch.args,
    transport: TransportKind.stdio,
    options: { env: spec.env, cwd: spec.cwd },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }],
    outputChannel: log,
    traceOutputChannel: trace,
    initializationOptions: spec.initializationOptions,
    // A server that fails to initialize is reported once (by the extension), not retried.
    initializationFailedHandler: () => false,
    errorHandler: new CrashPolicy(),
    middleware: {
      window: {
        showDocument: async (params, token, next) =>
          spec.interceptShowDocument(params.uri) ? { success: true } : next(params, token),
      },
      executeCommand: (command, args, next) =>
        spec.interceptCommand(command, args, (forwarded) => Promise.resolve(next(command, forwarded))),
      workspace: {
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return params.items.map((item, i) =>
            item.section === SECTION ? spec.serverSettings() : answers[i],
          );
        },
      },
    },
  };
  // The id 'bigpicture' makes vscode-languageclient read bigpicture.trace.server.
  const client = new QuietClient('bigpicture', 'BigPicture', serverOptions, clientOptions);
  client.onNotification(REVIEW_FINISHED, (params) => spec.onReviewFinished(params));
  client.onNotification(FINDINGS_CHANGED, (params) => spec.onNotification(FINDINGS_CHANGED, params));
  client.registerFeature(new ProgressFeature(client, spec.onProgress));
  client.onDidChangeState((e) => {
    if (e.newState === State.Stopped) {
      spec.onStopped();
    }
  });
  try {
    await client.start();
  } catch (err) {
    await client.dispose().catch(() => undefined);
    throw err;
  }
  // Replaces the client's own window/showMessage handler (set in start()), so the extension
  // can fold a review's error into its own message with the action it needs.
  client.onNotification(ShowMessageNotification.type, (params) => {
    const level = params.type === 1 ? 'error' : params.type === 2 ? 'warn' : 'info';
    if (!spec.onShowMessage(level, params.message)) {
      const show =
        level === 'error'
          ? vscode.window.showErrorMessage
          : level === 'warn'
            ? vscode.window.showWarningMessage
            : vscode.window.showInformationMessage;
      void show(params.message);
    }
  });
  return {
    commands: client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [],
    executeCommand: (command, args, cancel) => {
      if (!cancel) {
        return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
      }
      const source = new CancellationTokenSource();
      cancel.onCancel(() => source.cancel());
      return client
        .sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, source.token)
        .finally(() => source.dispose());
    },
    pushSettings: (settings) =>
      client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: settings },
      }),
    stop: () => client.dispose(),
  };
}

/**
 * Shows the server's work-done progress as a notification (cancellable when the server allows
 * it) and passes each step to the status bar. Registered after vscode-languageclient's own
 * progress feature, it takes over window/workDoneProgress/create, so each review has one
 * notification instead of a status-bar-only progress.
 */
class ProgressFeature implements StaticFeature {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly client: LanguageClient,
    private readonly onUpdate: ClientSpec['onProgress'],
  ) {}

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  getState(): FeatureState {
    return { kind: 'static' };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => this.track(token));
  }

  clear(): void {
    for (const finish of this.open) {
      finish();
    }
    this.open.clear();
  }

  private track(token: ProgressToken): void {
    let report: ((message: string) => void) | undefined;
    let finish: (() => void) | undefined;
    const subscription = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      this.onUpdate({ token: String(token), kind: value.kind, title: 'title' in value ? value.title : undefined, message: value.message });
      if (value.kind === 'begin') {
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable },
          (progress, cancellation) => {
            cancellation.onCancellationRequested(() => {
              void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
            });
            report = (message) => progress.report({ message });
            if (value.message) {
              report(value.message);
            }
            return new Promise<void>((resolve) => {
              finish = resolve;
              this.open.add(resolve);
            });
          },
        );
      } else if (value.kind === 'report') {
        if (value.message) {
          report?.(value.message);
        }
      } else {
        if (finish) {
          this.open.delete(finish);
          finish();
        }
        subscription.dispose();
      }
    });
  }
}

function signalOf(token: vscode.CancellationToken): CancelSignal {
  return {
    get cancelled() {
      return token.isCancellationRequested;
    },
    onCancel: (listener) => {
      token.onCancellationRequested(listener);
    },
  };
}

/**
 * vscode-languageclient shows its own error notifications, some of them forced (a failed start
 * as "couldn't create connection", with a stack); the extension reports every outcome itself,
 * with what to do, so here they only go to the log.
 */
class QuietClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
    void showNotification;
    super.error(message, data, false);
  }
}

/**
 * A server that never started is not restarted (the extension says why, once); one that
 * crashes after starting is restarted up to 3 times in 3 minutes, then left stopped (the
 * status bar says so).
 */
class CrashPolicy implements ErrorHandler {
  private readonly crashes: number[] = [];

  error(_error: Error, _message: unknown, count: number | undefined) {
    return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  closed() {
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length && now - this.crashes[0] > 3 * 60_000) {
      this.crashes.shift();
    }
    return { action: this.crashes.length <= 3 ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
  }
}

/**
 * The Python extension (ms-python.python), through its public API: the selected environment
 * (`environments.getActiveEnvironmentPath` / `resolveEnvironment`) and its change event, and
 * its "Python: Select Interpreter" command — the way the Ruff and Black extensions use it.
 */
class PythonExtension implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private subscription: vscode.Disposable | undefined;

  get(): PythonInterpreters | undefined {
    const ext = vscode.extensions.getExtension<PythonApi>('ms-python.python');
    if (!ext) {
      return undefined;
    }
    const api = async () => {
      const exports = ext.isActive ? ext.exports : await ext.activate();
      if (exports?.environments && !this.subscription) {
        this.subscription = exports.environments.onDidChangeActiveEnvironmentPath(() => this.changed.fire());
      }
      return exports;
    };
    return {
      selected: async () => {
        const environments = (await api())?.environments;
        if (!environments) {
          return undefined;
        }
        const active = environments.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
        const resolved = await environments.resolveEnvironment(active);
        return resolved?.executable.uri?.fsPath ?? active.path;
      },
      select: async () => {
        await api();
        await vscode.commands.executeCommand('python.setInterpreter');
      },
      onDidChange: (listener) => {
        void api().catch(() => undefined);
        return this.changed.event(listener);
      },
    };
  }

  dispose(): void {
    this.subscription?.dispose();
    this.changed.dispose();
  }
}

/** The part of the Python extension's API used here (its documented `environments` API). */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(
      env: { id: string; path: string } | string,
    ): Promise<{ executable: { uri: vscode.Uri | undefined } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

/**
 * The BigPicture view: renders the nodes `findingsView.ts` builds. Clicking a finding or a
 * related place opens it with its range selected; the view's badge counts the findings.
 */
class FindingsTree implements vscode.TreeDataProvider<ViewNode>, FindingsView, vscode.Disposable {
  private roots: ViewNode[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view = vscode.window.createTreeView('bigpicture.findings', {
    treeDataProvider: this,
    showCollapseAll: true,
  });

  show(nodes: ViewNode[], info: { badge: number; badgeTooltip: string; message?: string }): void {
    this.roots = nodes;
    this.view.badge = info.badge > 0 ? { value: info.badge, tooltip: info.badgeTooltip } : undefined;
    this.view.message = info.message;
    this.changed.fire();
  }

  getChildren(node?: ViewNode): ViewNode[] {
    return node ? (node.children ?? []) : this.roots;
  }

  getTreeItem(node: ViewNode): vscode.TreeItem {
    const state =
      node.state === 'expanded'
        ? vscode.TreeItemCollapsibleState.Expanded
        : node.state === 'collapsed'
          ? vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    item.contextValue = node.contextValue;
    if (node.tooltip) {
      item.tooltip = new vscode.MarkdownString(node.tooltip);
    }
    if (node.icon) {
      item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
    }
    if (node.open) {
      const { start, end } = node.open.range;
      const selection = new vscode.Range(start.line, start.character, end.line, end.character);
      item.command = {
        command: 'vscode.open',
        title: 'Open',
        arguments: [vscode.Uri.parse(node.open.uri, true), { selection, preserveFocus: false }],
      };
      if (!node.icon) {
        item.resourceUri = vscode.Uri.parse(node.open.uri, true);
      }
    } else if (node.command) {
      item.command = { command: node.command.id, title: node.command.title, arguments: node.command.args };
    }
    return item;
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}

async function showView(views: ReadOnlyViews, title: string, text: string): Promise<void> {
  const uri = views.set(title, text);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** Read-only documents for plans, usage and explanations (no "save?" prompt on close). */
class ReadOnlyViews implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly scheme: string) {}

  set(title: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: this.scheme, path: `/${title}` });
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

/**
 * The JSON-RPC trace channel. vscode-languageclient traces only into a channel whose log level
 * is Trace; this one reports Trace whenever `bigpicture.trace.server` is not "off", so that
 * setting alone turns tracing on, into its own "BigPicture Trace" output channel.
 */
class TraceChannel implements vscode.LogOutputChannel {
  readonly name = 'BigPicture Trace';
  private readonly channel = vscode.window.createOutputChannel(this.name);
  private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  readonly onDidChangeLogLevel = this.levelChanged.event;
  private readonly listener = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`${SECTION}.trace.server`)) {
      this.levelChanged.fire(this.logLevel);
    }
  });

  get logLevel(): vscode.LogLevel {
    const value = vscode.workspace.getConfiguration(SECTION).get<string>('trace.server', 'off');
    return value === 'off' ? vscode.LogLevel.Info : vscode.LogLevel.Trace;
  }

  trace(message: string): void {
    this.channel.appendLine(message);
  }
  debug(message: string): void {
    this.channel.appendLine(message);
  }
  info(message: string): void {
    this.channel.appendLine(message);
  }
  warn(message: string): void {
    this.channel.appendLine(message);
  }
  error(error: string | Error): void {
    this.channel.appendLine(String(error));
  }
  append(value: string): void {
    this.channel.append(value);
  }
  appendLine(value: string): void {
    this.channel.appendLine(value);
  }
  replace(value: string): void {
    this.channel.replace(value);
  }
  clear(): void {
    this.channel.clear();
  }
  show(preserveFocus?: boolean): void;
  show(column?: vscode.ViewColumn, preserveFocus?: boolean): void;
  show(arg?: boolean | vscode.ViewColumn): void {
    this.channel.show(typeof arg === 'boolean' ? arg : undefined);
  }
  hide(): void {
    this.channel.hide();
  }
  dispose(): void {
    this.listener.dispose();
    this.levelChanged.dispose();
    this.channel.dispose();
  }
}
