variable "project_id" {
  type        = string
  description = "ID of the Google Cloud project groupsync is deployed to."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits and hyphens), not a project name or number."
  }
}

variable "region" {
  type        = string
  description = "Region for the functions, their triggers, the source bucket and Cloud Scheduler."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west1."
  }
}

variable "config_file" {
  type        = string
  description = "Path to the groupsync YAML config, absolute or relative to the repository root (the parent of this directory). Its whole content is given to the functions in GROUPSYNC_CONFIG_YAML, and its `schedule` drives Cloud Scheduler. It must hold secret references (secret://…), never secret values."

  validation {
    condition     = can(regex("\\.ya?ml$", var.config_file))
    error_message = "config_file must be a .yaml or .yml file."
  }
}

variable "schedule" {
  type        = string
  description = "Cloud Scheduler cron expression overriding the config's `schedule`. Empty: use the config's, or \"*/30 * * * *\" if it has none."
  default     = ""

  validation {
    condition     = var.schedule == "" || length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a 5-field unix-cron expression, e.g. \"*/30 * * * *\"."
  }
}

variable "hint_poll_schedule" {
  type        = string
  description = "Cloud Scheduler cron expression of the hint poll: a run that reads only what the Workspace audit log names (rules[].full_every still forces full reconciles). Empty: no hint poll."
  default     = "* * * * *"

  validation {
    condition     = var.hint_poll_schedule == "" || length(split(" ", trimspace(var.hint_poll_schedule))) == 5
    error_message = "hint_poll_schedule must be empty or a 5-field unix-cron expression, e.g. \"* * * * *\"."
  }
}

variable "schedule_time_zone" {
  type        = string
  description = "IANA time zone the schedule is read in."
  default     = "Etc/UTC"
}

variable "firestore_location" {
  type        = string
  description = "Location of the Firestore database: a multi-region (nam5, eur3) or a region. Empty: the same as region. Cannot be changed after creation."
  default     = ""
}

variable "create_firestore_database" {
  type        = bool
  description = "Create the Firestore (default) database. Set to false when the project already has one in Native mode."
  default     = true
}

variable "invoker_principals" {
  type        = list(string)
  description = "IAM principals allowed to call the Sync HTTP function, e.g. [\"user:ops@example.com\", \"serviceAccount:ci@p.iam.gserviceaccount.com\"]. Public access is refused."
  default     = []

  validation {
    condition = alltrue([
      for p in var.invoker_principals : can(regex("^(user|serviceAccount|group|domain):[^:]+$", p))
    ])
    error_message = "Each invoker principal must be user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN. allUsers and allAuthenticatedUsers are not allowed."
  }
}

variable "allowed_callers" {
  type        = list(string)
  description = "Emails the Sync function accepts in the caller's ID token (GROUPSYNC_ALLOWED_CALLERS). Empty: the user: and serviceAccount: emails of invoker_principals."
  default     = []

  validation {
    condition     = alltrue([for e in var.allowed_callers : can(regex("^[^@,\\s]+@[^@,\\s]+$", e))])
    error_message = "allowed_callers must be email addresses."
  }
}

variable "keyless_dwd" {
  type        = bool
  description = "Use keyless domain-wide delegation: the functions sign the delegation JWT as the DWD service account through IAM Credentials signJwt, so no key exists. False: a service-account key is stored in the Secret Manager secret groupsync-dwd-key."
  default     = true
}

variable "dwd_scopes" {
  type        = list(string)
  description = "OAuth scopes to authorise for the DWD client ID in the Google Admin console (reported in the outputs). Add https://www.googleapis.com/auth/admin.directory.group when a rule writes to a Workspace target."
  default = [
    "https://www.googleapis.com/auth/admin.directory.group.readonly",
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
  ]

  validation {
    condition     = length(var.dwd_scopes) > 0 && alltrue([for s in var.dwd_scopes : startswith(s, "https://www.googleapis.com/auth/")])
    error_message = "dwd_scopes must be Google OAuth scope URLs."
  }
}

variable "target_secret_ids" {
  type        = list(string)
  description = "Secret Manager secret IDs to create for target tokens (e.g. groupsync-app-scim-token). Terraform creates only the secret; add its value with `gcloud secrets versions add`."
  default     = []

  validation {
    condition     = alltrue([for s in var.target_secret_ids : can(regex("^[A-Za-z0-9_-]{1,255}$", s))])
    error_message = "Secret IDs may contain only letters, digits, '_' and '-'."
  }
}

variable "go_runtime" {
  type        = string
  description = "Cloud Functions Go runtime; it must be at least the go directive of go.mod."
  default     = "go126"

  validation {
    condition     = can(regex("^go[0-9]{3}$", var.go_runtime))
    error_message = "go_runtime must be a Cloud Functions Go runtime ID such as go126."
  }
}

variable "dispatch_memory" {
  type        = string
  description = "Memory of the Dispatch function."
  default     = "256Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.dispatch_memory))
    error_message = "Memory must be like 256Mi or 1Gi."
  }
}

variable "worker_memory" {
  type        = string
  description = "Memory of the SyncGroup function (one group per call; large groups need more). Each function's GOMEMLIMIT is set to 90% of its memory."
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.worker_memory))
    error_message = "Memory must be like 512Mi or 1Gi."
  }
}

variable "api_memory" {
  type        = string
  description = "Memory of the Sync HTTP function."
  default     = "256Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.api_memory))
    error_message = "Memory must be like 256Mi or 1Gi."
  }
}

variable "dispatch_timeout_seconds" {
  type        = number
  description = "Timeout of the Dispatch function. Event-driven functions stop at 540 s."
  default     = 540

  validation {
    condition     = var.dispatch_timeout_seconds >= 1 && var.dispatch_timeout_seconds <= 540
    error_message = "dispatch_timeout_seconds must be between 1 and 540."
  }
}

variable "worker_timeout_seconds" {
  type        = number
  description = "Timeout of the SyncGroup function. Event-driven functions stop at 540 s."
  default     = 540

  validation {
    condition     = var.worker_timeout_seconds >= 1 && var.worker_timeout_seconds <= 540
    error_message = "worker_timeout_seconds must be between 1 and 540."
  }
}

variable "api_timeout_seconds" {
  type        = number
  description = "Timeout of the Sync HTTP function. HTTP functions stop at 3600 s."
  default     = 300

  validation {
    condition     = var.api_timeout_seconds >= 1 && var.api_timeout_seconds <= 3600
    error_message = "api_timeout_seconds must be between 1 and 3600."
  }
}

variable "worker_max_instances" {
  type        = number
  description = "Most SyncGroup instances at once; bounds the parallel load on the Directory API and the targets."
  default     = 10

  validation {
    condition     = var.worker_max_instances >= 1 && var.worker_max_instances <= 1000
    error_message = "worker_max_instances must be between 1 and 1000."
  }
}

variable "job_ttl_days" {
  type        = number
  description = "Days a job record is kept before Firestore's TTL policy deletes it (passed to the functions as GROUPSYNC_JOB_TTL_DAYS)."
  default     = 90

  validation {
    condition     = var.job_ttl_days >= 1 && var.job_ttl_days <= 3650 && floor(var.job_ttl_days) == var.job_ttl_days
    error_message = "job_ttl_days must be a whole number of days between 1 and 3650."
  }
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries of a message before Pub/Sub moves it to the subscription's dead-letter topic."
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "Pub/Sub allows 5 to 100 delivery attempts."
  }
}

variable "dead_letter_retention_days" {
  type        = number
  description = "Days the dead-letter topics keep messages (topic retention), so they can be inspected or replayed without a standing subscription."
  default     = 7

  validation {
    condition     = var.dead_letter_retention_days >= 1 && var.dead_letter_retention_days <= 31
    error_message = "Topic retention is 1 to 31 days."
  }
}

variable "changes_subscription" {
  type        = bool
  description = "Create a pull subscription groupsync-changes-pull on the change topic for a downstream reader."
  default     = false
}

variable "source_dir" {
  type        = string
  description = "Root of the groupsync module to deploy as function source, absolute or relative to the repository root. Empty: the repository root."
  default     = ""
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every name the deployment creates (functions, service accounts, topics, subscriptions, the scheduler job, secrets, the source bucket, metrics). Two deployments in one project need two prefixes, and two Firestore databases (firestore_database)."
  default     = "groupsync"

  validation {
    # Service account IDs are 6-30 characters: the longest suffix is
    # "-dispatch" (9), so at most 21 here.
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lower-case letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "firestore_database" {
  type        = string
  description = "The Firestore database the functions use; the config's store must be firestore://projects/PROJECT/databases/THIS. A second deployment in the project needs its own database."
  default     = "(default)"
}
