#!/usr/bin/env bash
set -euo pipefail

export AWS_ACCESS_KEY_ID=⟦aws-sts-id⟧
export AWS_SECRET_ACCESS_KEY=⟦aws-secret#2⟧
export GITHUB_TOKEN=⟦github-pat⟧

sshpass -p '⟦=Ssh-Deploy-Pass9⟧' ssh deploy@web1 'sudo systemctl restart app'
mysql -h db.internal -u root -p'⟦=Mysql-R00t-Pass⟧' -e 'select 1'
curl -u admin:⟦=Curl-Adm1n-Pass⟧ https://jenkins.internal/job/deploy/build
./migrate --password ⟦=Migrate-Pass-66⟧ --host db.internal
