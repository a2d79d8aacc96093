# The least a deployment needs. Copy this file, set your values, then run
#   scripts/deploy.sh path/to/your.tfvars
# Relative paths are resolved from the repository root.

project_id  = "my-project"
config_file = "examples/cloud.yaml"

# Who may call the Sync HTTP function (manual runs, job status).
invoker_principals = ["user:admin@example.com"]

# The SCIM token secret that examples/cloud.yaml refers to.
target_secret_ids = ["groupsync-app-scim-token"]
