# The least a deployment needs: copy this directory, set your values, then run
#   scripts/deploy.sh path/to/your/copy
# Relative config paths are resolved from the repository root.

provider "google" {
  project = "my-project"
  region  = "us-central1"

  default_labels = { app = "groupsync" }
}

module "groupsync" {
  # From a copy outside this repository:
  #   source = "github.com/groupsync/groupsync//terraform?ref=vX.Y.Z"
  source = "../../terraform"

  project_id  = "my-project"
  config_file = "examples/cloud.yaml"

  # Who may call the Sync HTTP function (manual runs, job status).
  invoker_principals = ["user:admin@example.com"]

  # The SCIM token secret that examples/cloud.yaml refers to.
  target_secret_ids = ["groupsync-app-scim-token"]
}
