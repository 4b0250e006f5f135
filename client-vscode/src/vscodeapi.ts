/**
 * The one module that calls the VS Code API (and vscode-languageclient, which calls it too):
 * it implements `Host` for the rest of the extension. Keep it thin: no decisions here.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  type ClientCapabilities,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  type ProgressToken,
  type ServerOptions,
  State,
  type StaticFeature,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';
import type { ClientHandle, ClientSpec, Host, PickItem } from './host';
import { REVIEW_FINISHED } from './protocol';
import { SECTION } from './settings';

const VIEW_SCHEME = 'bigpicture-view';

export function createHost(context: vscode.ExtensionContext, statusCommand: string): Host {
  const log = vscode.window.createOutputChannel('BigPicture', { log: true });
  const trace = new TraceChannel();
  const status = vscode.window.createStatusBarItem('bigpicture.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'BigPicture';
  status.command = statusCommand;
  status.show();
  const views = new ReadOnlyViews();
  context.subscriptions.push(
    log,
    trace,
    status,
    vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, views),
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
    setting: (key) => vscode.workspace.getConfiguration(SECTION).get(key),
    onSettingsChanged: (listener) =>
      vscode.workspace.onDidChangeConfiguration((e) => listener((s) => e.affectsConfiguration(s))),
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
    // A server that fails to initialize is reported once, not retried.
    initializationFailedHandler: () => false,
    middleware: {
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
  const client = new LanguageClient('bigpicture', 'BigPicture', serverOptions, clientOptions);
  client.onNotification(REVIEW_FINISHED, (params) => spec.onReviewFinished(params));
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
  return {
    executeCommand: (command, args) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }),
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

  set(title: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${title}` });
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
