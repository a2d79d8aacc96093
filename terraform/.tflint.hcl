# tflint runs offline (scripts/tf-check.sh) with the terraform ruleset bundled
# in tflint; the google ruleset would have to be downloaded.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

# The files are split by concern (apis.tf, iam.tf, functions.tf, …) rather
# than into main.tf.
rule "terraform_standard_module_structure" {
  enabled = false
}
