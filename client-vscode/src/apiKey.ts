/**
 * The Anthropic API key: kept in VS Code's SecretStorage, handed to the server process through
 * its environment (ANTHROPIC_API_KEY). Never written to settings, never logged.
 */
import type { Host, Secrets } from './host';

export const SECRET_NAME = 'bigpicture.anthropicApiKey';
export const ENV_NAME = 'ANTHROPIC_API_KEY';

export type SetKeyOutcome = 'stored' | 'removed' | 'dismissed';

/** Why a typed key cannot be right, or undefined when it may be. */
export function validateKey(value: string): string | undefined {
  const key = value.trim();
  if (key === '') {
    return undefined; // empty removes the stored key
  }
  if (/\s/.test(key)) {
    return 'An API key has no spaces.';
  }
  if (key.length < 20) {
    return 'That is too short for an Anthropic API key.';
  }
  return undefined;
}

export class ApiKeyStore {
  constructor(
    private readonly secrets: Secrets,
    private readonly processEnv: () => Record<string, string | undefined>,
  ) {}

  /** The stored key, if any. */
  stored(): Promise<string | undefined> {
    return this.secrets.get(SECRET_NAME);
  }

  /** True when the server will have a key: one is stored, or the editor's environment has one. */
  async available(): Promise<boolean> {
    return Boolean((await this.stored()) || this.processEnv()[ENV_NAME]);
  }

  /** The environment for the server process: the editor's, plus the stored key. */
  async serverEnv(): Promise<Record<string, string | undefined>> {
    const env = { ...this.processEnv() };
    const key = await this.stored();
    if (key) {
      env[ENV_NAME] = key;
    }
    return env;
  }

  /** Asks for the key in a masked box and stores it; an empty answer removes the stored key. */
  async ask(host: Host): Promise<SetKeyOutcome> {
    const value = await host.askSecret(
      'Anthropic API key for BigPicture (kept in VS Code secret storage; leave empty to remove it)',
      'sk-ant-...',
      validateKey,
    );
    if (value === undefined) {
      return 'dismissed';
    }
    const key = value.trim();
    if (key === '') {
      await this.secrets.delete(SECRET_NAME);
      return 'removed';
    }
    await this.secrets.store(SECRET_NAME, key);
    return 'stored';
  }

  onDidChange(listener: () => void) {
    return this.secrets.onDidChange((name) => {
      if (name === SECRET_NAME) {
        listener();
      }
    });
  }
}
