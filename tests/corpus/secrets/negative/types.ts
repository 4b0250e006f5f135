export interface Session {
  token: Token;
  password?: string;
  apiKey: string | undefined;
  refreshToken: RefreshToken | null;
  secret: Secret<string>;
}

export type Credentials = { user: string; password: string };

export function login(user: string, password: string): Promise<Token> {
  const token: Token = createToken(user);
  const apiKey = process.env.API_KEY ?? "";
  return authenticate({ user, password, apiKey, token });
}
