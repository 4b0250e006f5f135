import { Octokit } from "@octokit/rest";
import { LinearClient } from "@linear/sdk";
import { Client as NotionClient } from "@notionhq/client";

export const octokit = new Octokit({ auth: "⟦ghp⟧" });
export const linear = new LinearClient({ apiKey: "⟦linear⟧" });
export const notion = new NotionClient({ auth: "⟦notion⟧" });

const POSTMAN_API_KEY: string = "⟦postman⟧";

export async function collections(): Promise<unknown> {
  const res = await fetch("https://api.getpostman.com/collections", {
    headers: { "X-Api-Key": POSTMAN_API_KEY },
  });
  return res.json();
}
