/** A scripted stand-in for the editor (Host) and the language client, for the unit tests. */
import type {
  CancelSignal,
  ClientHandle,
  ClientSpec,
  Disposable,
  Host,
  PickItem,
  PickManyItem,
  PythonInterpreters,
} from '../src/host';
import type { ViewNode } from '../src/findingsView';
import type { LaunchEnvironment } from '../src/serverCommand';

export interface Shown {
  level: 'info' | 'warn' | 'error';
  message: string;
  actions: string[];
}

type Answer = string | undefined;

export class FakeClient implements ClientHandle {
  readonly sentCommands: { command: string; args: unknown[]; cancel?: CancelSignal }[] = [];
  readonly pushed: Record<string, unknown>[] = [];
  stopped = false;
  constructor(
    readonly spec: ClientSpec,
    private readonly answers: Map<string, (args: unknown[]) => unknown>,
  ) {}

  /** The server's executeCommandProvider: the commands it has answers for. */
  get commands(): string[] {
    return [...this.answers.keys()];
  }

  /** How often the view read the findings (bigpicture.findings, left out of `commands`). */
  findingsReads = 0;

  async executeCommand(command: string, args: unknown[], cancel?: CancelSignal): Promise<unknown> {
    if (command === 'bigpicture.findings') {
      this.findingsReads += 1;
    } else {
      this.sentCommands.push({ command, args, cancel });
    }
    const answer = this.answers.get(command);
    if (!answer) {
      throw new Error(`unexpected command ${command}`);
    }
    return answer(args);
  }

  async pushSettings(settings: Record<string, unknown>): Promise<void> {
    this.pushed.push(settings);
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

export class FakeHost implements Host {
  readonly shown: Shown[] = [];
  readonly logLines: string[] = [];
  readonly texts: { title: string; text: string }[] = [];
  readonly opened: { uri: string; title: string }[] = [];
  readonly confirms: { message: string; detail: string }[] = [];
  readonly asked: { message: string; detail: string; actions: string[] }[] = [];
  /** Answers to modal questions (ask), in order. */
  readonly askAnswers: Answer[] = [];
  readonly plans: { title: string; text: string }[] = [];
  readonly markdown: { title: string; markdown: string }[] = [];
  readonly settingsOpened: string[] = [];
  readonly progress: { title: string; messages: string[] }[] = [];
  /** The answer of the file picker. */
  fileAnswer: string | undefined;
  /** Set to a fake Python extension to have one "installed". */
  pythonExtension: FakePython | undefined;
  readonly commandsRegistered = new Map<string, (...args: unknown[]) => unknown>();
  readonly clients: FakeClient[] = [];
  /** Every command line a start was tried with. */
  readonly starts: ClientSpec['launch'][] = [];
  statusText = '';
  statusTooltip = '';
  logShown = 0;
  problemsShown = 0;
  settings: Record<string, unknown> = { confirmAbove: 0.25 };
  env: Record<string, string | undefined> = { PATH: '/usr/bin' };
  activeFile: string | undefined;
  workspace: string | undefined = '/ws';
  /** Answers to messages, in order, by level ('info' | 'warn' | 'error'). */
  readonly answers: Record<string, Answer[]> = { info: [], warn: [], error: [] };
  confirmAnswer = true;
  secretAnswer: string | undefined;
  pickAnswer: unknown;
  /** Fails every start, or (a function) the starts of some command lines. */
  failStart: Error | ((launch: ClientSpec['launch']) => Error | undefined) | undefined;
  /** Files the PATH search finds executable. */
  executables: string[] = [];
  /** What the fake server answers, by command. */
  readonly serverAnswers = new Map<string, (args: unknown[]) => unknown>();
  readonly store = new Map<string, string>();
  private secretListeners: ((key: string) => void)[] = [];
  private settingsListeners: ((affects: (s: string) => boolean) => void)[] = [];

  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    this.commandsRegistered.set(id, handler);
    return { dispose: () => this.commandsRegistered.delete(id) };
  }

  private say(level: Shown['level'], message: string, actions: string[]): Promise<Answer> {
    this.shown.push({ level, message, actions });
    return Promise.resolve(this.answers[level].shift());
  }
  info(message: string, ...actions: string[]) {
    return this.say('info', message, actions);
  }
  warn(message: string, ...actions: string[]) {
    return this.say('warn', message, actions);
  }
  error(message: string, ...actions: string[]) {
    return this.say('error', message, actions);
  }
  async confirm(message: string, detail: string): Promise<boolean> {
    this.confirms.push({ message, detail });
    return this.confirmAnswer;
  }
  async ask(message: string, detail: string, actions: string[]): Promise<string | undefined> {
    this.asked.push({ message, detail, actions });
    return this.askAnswers.shift();
  }
  async askSecret(
    _prompt: string,
    _placeHolder: string,
    validate: (value: string) => string | undefined,
  ): Promise<string | undefined> {
    if (this.secretAnswer !== undefined && validate(this.secretAnswer)) {
      return undefined; // a real input box would not accept it
    }
    return this.secretAnswer;
  }
  async pick<T>(_items: PickItem<T>[]): Promise<T | undefined> {
    return this.pickAnswer as T | undefined;
  }
  /** The items of the last multi-select pick, and what it answers. */
  pickManyItems: PickManyItem<unknown>[] = [];
  pickManyAnswer: unknown[] | undefined;
  async pickMany<T>(items: PickManyItem<T>[]): Promise<T[] | undefined> {
    this.pickManyItems = items;
    return this.pickManyAnswer as T[] | undefined;
  }
  readonly contextKeys = new Map<string, unknown>();
  setContext(key: string, value: unknown): void {
    this.contextKeys.set(key, value);
  }
  /** What the BigPicture view shows now. */
  view: { nodes: ViewNode[]; badge: number; message?: string } = { nodes: [], badge: 0 };
  viewRenders = 0;
  readonly findingsView = {
    show: (nodes: ViewNode[], info: { badge: number; badgeTooltip: string; message?: string }) => {
      this.viewRenders += 1;
      this.view = { nodes, badge: info.badge, message: info.message };
    },
  };
  setting(key: string): unknown {
    return this.settings[key];
  }
  settingIsSet(key: string): boolean {
    return key in this.settings;
  }
  async updateSetting(key: string, value: unknown): Promise<void> {
    this.changeSettings({ [key]: value });
  }
  async openSettings(key: string): Promise<void> {
    this.settingsOpened.push(key);
  }
  python(): PythonInterpreters | undefined {
    return this.pythonExtension;
  }
  async pickFile(): Promise<string | undefined> {
    return this.fileAnswer;
  }
  /** Set to cancel the next progress's task. */
  cancelProgress = false;
  async withProgress<T>(
    title: string,
    task: (report: (message: string) => void, cancel: CancelSignal) => Promise<T>,
  ): Promise<T> {
    const record = { title, messages: [] as string[] };
    this.progress.push(record);
    const listeners: (() => void)[] = [];
    const signal: CancelSignal = {
      cancelled: false,
      onCancel: (l) => listeners.push(l),
    };
    const result = task((m) => record.messages.push(m), signal);
    if (this.cancelProgress) {
      (signal as { cancelled: boolean }).cancelled = true;
      listeners.forEach((l) => l());
    }
    return result;
  }
  onSettingsChanged(listener: (affects: (s: string) => boolean) => void): Disposable {
    this.settingsListeners.push(listener);
    return { dispose: () => undefined };
  }
  private saveListeners: ((uri: string) => void)[] = [];
  onFileSaved(listener: (uri: string) => void): Disposable {
    this.saveListeners.push(listener);
    return { dispose: () => (this.saveListeners = this.saveListeners.filter((l) => l !== listener)) };
  }
  /** Saves a file as the user would (the save event). */
  save(uri: string): void {
    this.saveListeners.forEach((l) => l(uri));
  }
  /** Pending timers, fired by the test (runTimers). */
  timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  setTimer(ms: number, fn: () => void): Disposable {
    const timer = { ms, fn, cancelled: false };
    this.timers.push(timer);
    return { dispose: () => (timer.cancelled = true) };
  }
  /** Fires the pending timers that were not cancelled; returns their delays. */
  runTimers(): number[] {
    const due = this.timers.filter((t) => !t.cancelled);
    this.timers = [];
    due.forEach((t) => t.fn());
    return due.map((t) => t.ms);
  }
    /** Changes settings as the user would, firing the change event. */
  changeSettings(values: Record<string, unknown>): void {
    Object.assign(this.settings, values);
    const changed = Object.keys(values).map((k) => `bigpicture.${k}`);
    for (const l of this.settingsListeners) {
      l((s) => changed.some((c) => c === s || c.startsWith(`${s}.`)));
    }
  }
  readonly secrets = {
    get: async (key: string) => this.store.get(key),
    store: async (key: string, value: string) => {
      this.store.set(key, value);
      this.secretListeners.forEach((l) => l(key));
    },
    delete: async (key: string) => {
      this.store.delete(key);
      this.secretListeners.forEach((l) => l(key));
    },
    onDidChange: (listener: (key: string) => void) => {
      this.secretListeners.push(listener);
      return { dispose: () => undefined };
    },
  };
  activeFileUri() {
    return this.activeFile;
  }
  workspaceFolderPath() {
    return this.workspace;
  }
  async openDocument(uri: string, title: string): Promise<void> {
    this.opened.push({ uri, title });
  }
  async showText(title: string, text: string): Promise<void> {
    this.texts.push({ title, text });
  }
  async showPlan(title: string, text: string): Promise<void> {
    this.plans.push({ title, text });
  }
  async showMarkdown(title: string, markdown: string): Promise<void> {
    this.markdown.push({ title, markdown });
  }
  async showProblems(): Promise<void> {
    this.problemsShown += 1;
  }
  readonly status = {
    update: (text: string, tooltip: string) => {
      this.statusText = text;
      this.statusTooltip = tooltip;
    },
  };
  readonly log = {
    info: (m: string) => this.logLines.push(`info ${m}`),
    warn: (m: string) => this.logLines.push(`warn ${m}`),
    error: (m: string) => this.logLines.push(`error ${m}`),
    show: () => {
      this.logShown += 1;
    },
  };
  processEnv() {
    return { ...this.env };
  }
  launchEnvironment(): LaunchEnvironment {
    return { pathVariable: this.env.PATH, platform: 'linux', isExecutable: (f) => this.executables.includes(f) };
  }
  async startClient(spec: ClientSpec): Promise<ClientHandle> {
    const failure = typeof this.failStart === 'function' ? this.failStart(spec.launch) : this.failStart;
    this.starts.push(spec.launch);
    if (failure) {
      throw failure;
    }
    const client = new FakeClient(spec, this.serverAnswers);
    this.clients.push(client);
    return client;
  }

  get client(): FakeClient {
    const c = this.clients.at(-1);
    if (!c) {
      throw new Error('no client started');
    }
    return c;
  }

  /** Every server command sent, across restarts, but the view's reads (bigpicture.findings). */
  get sent(): string[] {
    return this.clients.flatMap((c) => c.sentCommands.map((x) => x.command));
  }

  /** How often the view read the findings, across restarts. */
  get findingsReads(): number {
    return this.clients.reduce((n, c) => n + c.findingsReads, 0);
  }
}

/** Lets queued promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A stand-in for the Python extension's API: a selected interpreter and its picker. */
export class FakePython implements PythonInterpreters {
  interpreter: string | undefined;
  /** What its picker selects. */
  picks: string | undefined;
  selects = 0;
  private listeners: (() => void)[] = [];
  async selected(): Promise<string | undefined> {
    return this.interpreter;
  }
  async select(): Promise<void> {
    this.selects += 1;
    if (this.picks !== undefined && this.picks !== this.interpreter) {
      this.interpreter = this.picks;
      this.listeners.forEach((l) => l());
    }
  }
  onDidChange(listener: () => void): Disposable {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  }
}
