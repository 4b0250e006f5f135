use serenity::prelude::*;

const API_KEY: &str = "⟦generic32#2⟧";

#[tokio::main]
async fn main() {
    let password = "⟦=rustacean-Cr4b!⟧";
    let intents = GatewayIntents::GUILD_MESSAGES;
    let mut client = Client::builder("⟦discord#2⟧", intents)
        .await
        .expect("client");
    connect(API_KEY, password);
    client.start().await.unwrap();
}
