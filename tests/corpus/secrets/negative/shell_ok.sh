#!/bin/sh
mkdir -p /var/lib/app && cp -p config.yml /var/lib/app/
mysql -u root -p appdb < schema.sql
docker login -u "$DOCKER_USER" --password-stdin <<< "$DOCKER_TOKEN"
curl -u "$USER:$PASS" https://ci.acme.io/api/json
sshpass -p "$SSHPASS" ssh deploy@web1 uptime
export PGPASSWORD="$DB_PASSWORD"
