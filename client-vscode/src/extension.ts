/** Entry point: build the app on the real VS Code API, start it, stop it. */
import type * as vscode from 'vscode';
import { App, STATUS_COMMAND } from './app';
import { createHost } from './vscodeapi';

let app: App | undefined;

export function activate(context: vscode.ExtensionContext): void {
  app = new App(createHost(context, STATUS_COMMAND));
  context.subscriptions.push(...app.activate());
}

export function deactivate(): Promise<void> | undefined {
  return app?.deactivate();
}
