import logging

import discord
import openai
from anthropic import Anthropic
from slack_sdk import WebClient
from telegram.ext import ApplicationBuilder

log = logging.getLogger(__name__)

intents = discord.Intents.default()
bot = discord.Client(intents=intents)

slack = WebClient("⟦slack-bot⟧")
oai = openai.OpenAI(api_key="⟦openai⟧")
claude = Anthropic(api_key="⟦anthropic⟧")


def main() -> None:
    app = ApplicationBuilder().token("⟦telegram⟧").build()
    app.run_polling()
    bot.run("⟦discord⟧")


if __name__ == "__main__":
    main()
