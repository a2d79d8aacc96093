#!/usr/bin/env bash
# deploy.sh deploys groupsync to Google Cloud with terraform/: init, plan,
# apply after you confirm, then prints what to authorise in the Google Admin
# console. Dead-letter policies are part of the Terraform configuration. docs/deploy.md walks through the whole setup.
#
# Usage: scripts/deploy.sh [-y] DIR
#   DIR   a root module that calls terraform/ as a module and re-exports
#         its outputs: a copy of examples/minimal or examples/full
#   -y    apply without asking (for automation)
# Env:   TERRAFORM  terraform binary (default: terraform on PATH, >= 1.5)
#
# Needs: terraform, gcloud (authenticated: gcloud auth login and
# gcloud auth application-default login), rights to administer the project.
set -euo pipefail

usage() {
  echo "usage: $0 [-y] DIR (a copy of examples/minimal or examples/full)" >&2
  exit 2
}

auto_approve=false
while getopts y opt; do
  case $opt in
    y) auto_approve=true ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 1 ]] || usage

tfdir=$1
[[ -f $tfdir/main.tf ]] || { echo "deploy: $tfdir: no main.tf (copy examples/minimal)" >&2; exit 1; }
tfdir=$(cd "$tfdir" && pwd)

tf=${TERRAFORM:-terraform}
command -v "$tf" >/dev/null || { echo "deploy: $tf not found: install Terraform >= 1.5" >&2; exit 1; }
command -v gcloud >/dev/null || { echo "deploy: gcloud not found: install the Google Cloud CLI" >&2; exit 1; }

plan=$tfdir/.terraform/groupsync.tfplan
t() { "$tf" -chdir="$tfdir" "$@"; }
# out NAME prints a string output, or nothing when it is null.
out() { t output -json "$1" | sed -e 's/^"//' -e 's/"$//' -e 's/^null$//'; }

step() { printf '\n==> %s\n' "$*"; }

step "terraform init"
t init -input=false

step "terraform plan"
t plan -input=false -out="$plan"

if ! $auto_approve; then
  if [[ ! -t 0 ]]; then
    echo "deploy: not applying: no terminal to confirm on (use -y)" >&2
    exit 1
  fi
  read -r -p $'\nApply this plan? Type yes to continue: ' answer
  [[ $answer == yes ]] || { echo "deploy: not applied"; exit 1; }
fi

step "terraform apply"
t apply -input=false "$plan"
rm -f "$plan"

client_id=$(out dwd_client_id)
scopes=$(out dwd_scopes)
dwd_sa=$(out dwd_service_account)
key_secret=$(out dwd_key_secret)
sync_url=$(out sync_url)
audience=$(out sync_audience)
project=$(out project_id)

cat <<MSG

==> Deployed. Three things are left to do by hand.

1. Authorise domain-wide delegation (a Workspace super admin, once):
   Google Admin console (admin.google.com) > Security > Access and data control
   > API controls > Manage Domain Wide Delegation > Add new
     Client ID:    $client_id
     OAuth scopes: $scopes
   It can take from minutes to hours to apply. The service account is
   $dwd_sa.

2. Store the secrets (values never pass through Terraform):
MSG
if [[ -n $key_secret ]]; then
  cat <<MSG
     gcloud iam service-accounts keys create dwd-key.json --iam-account=$dwd_sa
     gcloud secrets versions add ${key_secret##*/} --project=$project --data-file=dwd-key.json
     shred -u dwd-key.json
MSG
fi
for s in $(t output -json target_secrets | tr -d '{}"' | tr ',' '\n' | cut -d: -f1); do
  echo "     printf %s \"\$TOKEN\" | gcloud secrets versions add $s --project=$project --data-file=-"
done
cat <<MSG

3. Try it: list recent jobs through the Sync function (the README describes
   its API) as one of the invoker_principals, with an ID token for audience
   $audience, e.g. by impersonating a service account:
     curl -H "Authorization: Bearer \$(gcloud auth print-identity-token \\
       --impersonate-service-account=SA_EMAIL --audiences=$audience --include-email)" \\
       $sync_url
MSG
