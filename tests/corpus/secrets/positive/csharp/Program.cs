using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
var clientSecret = "⟦generic32#3⟧";
string smtpPassword = "⟦=Smtp-Relay-9q⟧";
builder.Services.AddMailer(o => { o.Password = smtpPassword; o.Secret = clientSecret; });
builder.Build().Run();
