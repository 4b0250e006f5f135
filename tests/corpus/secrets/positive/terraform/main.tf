provider "aws" {
  region     = "eu-west-1"
  access_key = "⟦aws-id#2⟧"
  secret_key = "⟦aws-secret#3⟧"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "⟦=Terraform-Db-P4ss⟧"
}

provider "heroku" {
  api_key = "⟦heroku⟧"
}
