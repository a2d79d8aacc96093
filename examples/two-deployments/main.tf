# Two deployments in one project: each has its own name_prefix (functions,
# service accounts, topics, scheduler job, secrets, bucket) and its own
# Firestore database, which its config's store names.

provider "google" {
  project = "my-project"
  region  = "europe-west1"
}

module "staff" {
  source = "../../terraform"

  project_id         = "my-project"
  name_prefix        = "gs-staff"
  config_file        = "examples/cloud.yaml"
  invoker_principals = ["user:admin@example.com"]
  target_secret_ids  = ["groupsync-app-scim-token"]
}

module "contractors" {
  source = "../../terraform"

  project_id         = "my-project"
  name_prefix        = "gs-contractors"
  firestore_database = "contractors"
  config_file        = "examples/cloud-contractors.yaml"
  invoker_principals = ["user:admin@example.com"]
  target_secret_ids  = ["gs-contractors-app-scim-token"]
}

output "sync_urls" {
  value = {
    staff       = module.staff.sync_url
    contractors = module.contractors.sync_url
  }
}
