terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
    # archive_file `excludes` takes glob patterns from 2.4 on.
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}
