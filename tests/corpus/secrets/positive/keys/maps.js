const loader = new Loader({ apiKey: "⟦gcp-key⟧", version: "weekly" });
