# The function source is the whole groupsync module: the Go buildpack builds
# the root package (function.go), which imports ./functions.
data "archive_file" "source" {
  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.module}/.terraform/${var.name_prefix}-source.zip"

  excludes = [
    ".git",
    ".cache",
    ".terraform",
    "bin",
    "groupsync",
    "node_modules",
    "terraform",
    "tmp",
    "*.db",
    "**/*.db",
  ]
}

resource "google_storage_bucket" "source" {
  name     = "${var.project_id}-${var.name_prefix}-source"
  location = var.region

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  depends_on = [google_project_service.enabled]
}

# Named by content hash: any code change is a new object, which makes
# Terraform update the functions.
resource "google_storage_bucket_object" "source" {
  name   = "${var.name_prefix}-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}
