variable "environment" {
  type        = string
  description = "Environment name, used in resource names and tags."
}

variable "region" {
  type    = string
  default = "eu-west-2"
}

variable "queue_retention_seconds" {
  type        = number
  description = "How long an unconsumed ledger event stays on the queue."
}

variable "ledger_export_retention_days" {
  type = number
}
