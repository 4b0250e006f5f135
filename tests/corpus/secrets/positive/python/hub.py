from huggingface_hub import login, HfApi
import requests

login("⟦hf⟧")
api = HfApi()

resp = requests.get(
    "https://api.github.com/user",
    headers={"Authorization": "token ⟦gho⟧"},
    timeout=10,
)
requests.post("https://hooks.slack.com/⟦slack-hook⟧", json={"text": "deployed"})
