package main

import (
	"database/sql"
	"log"

	_ "github.com/lib/pq"
	"github.com/stripe/stripe-go/v76"
)

const dsn = "postgres://billing:⟦=B1ll1ng-Pg-77⟧@db.internal:5432/billing?sslmode=require"

func main() {
	dbPassword := "⟦=gopher-Secret-42⟧"
	_ = dbPassword
	stripe.Key = "⟦stripe-restricted⟧"
	twilioAuthToken := "⟦twilio-token⟧"
	_ = twilioAuthToken
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
}
