package com.acme.billing;

import com.azure.storage.blob.BlobServiceClientBuilder;

public final class Config {
    private static final String DB_PASSWORD = "⟦=J4va-Enterpr1se!⟧";
    private static final String JDBC_URL =
        "jdbc:mysql://db.internal:3306/billing?user=billing&password=⟦=My5ql-B1lling⟧";
    private static final String STORAGE =
        "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=⟦azure-storage⟧;EndpointSuffix=core.windows.net";

    private Config() {}

    static BlobServiceClientBuilder blobs() {
        return new BlobServiceClientBuilder().connectionString(STORAGE);
    }
}
