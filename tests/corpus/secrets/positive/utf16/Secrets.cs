namespace Acme.Sync
{
    public static class Secrets
    {
        public const string ConnectionString = "Server=sql01;User Id=sync;Password=⟦=Utf16-Cs-Pass8⟧;";
        public const string ApiKey = "⟦generic32#9⟧";
    }
}
