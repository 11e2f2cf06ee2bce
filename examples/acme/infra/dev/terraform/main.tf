# dev: the dev EKS cluster and the shared non-prod VPC are created by infra/staging.
# This stack holds only what dev's services need of their own: the ledger queues and exports bucket.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Environment = var.environment
      ManagedBy   = "terraform"
      Owner       = "platform"
      Repository  = "acme/config"
    }
  }
}

locals {
  name = "acme-${var.environment}"
}

data "aws_vpc" "nonprod" {
  tags = {
    Name = "acme-nonprod"
  }
}

resource "aws_sqs_queue" "ledger_events_dlq" {
  name                      = "${local.name}-ledger-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "ledger_events" {
  name                       = "${local.name}-ledger-events"
  visibility_timeout_seconds = 120
  message_retention_seconds  = var.queue_retention_seconds
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.ledger_events_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_s3_bucket" "ledger_exports" {
  bucket        = "${local.name}-ledger-exports"
  force_destroy = true
}

resource "aws_s3_bucket_lifecycle_configuration" "ledger_exports" {
  bucket = aws_s3_bucket.ledger_exports.id

  rule {
    id     = "expire-exports"
    status = "Enabled"
    filter {}
    expiration {
      days = var.ledger_export_retention_days
    }
  }
}

output "ledger_events_queue_url" {
  value = aws_sqs_queue.ledger_events.url
}

output "ledger_exports_bucket" {
  value = aws_s3_bucket.ledger_exports.bucket
}
