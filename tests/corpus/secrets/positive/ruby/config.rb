Rails.application.configure do
  config.action_mailer.smtp_settings = {
    address: "smtp.mailgun.org",
    user_name: "postmaster@mg.acme.io",
    password: "⟦=Rub1es-Mailer-88⟧",
  }
  config.x.square = { :access_token => "⟦square⟧" }
  config.x.braintree_token = "⟦braintree⟧"
end
