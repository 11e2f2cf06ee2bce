# staging: network, Kubernetes cluster, the core PostgreSQL instance (payments and ledger databases),
# the ledger event queues and the ledger exports bucket.

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

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"

  name             = "acme-nonprod"
  cidr             = var.vpc_cidr
  azs              = var.azs
  private_subnets  = var.private_subnets
  public_subnets   = var.public_subnets
  database_subnets = var.database_subnets

  enable_nat_gateway = true
  single_nat_gateway = var.single_nat_gateway

  create_database_subnet_group = true

  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = 1
  }
  public_subnet_tags = {
    "kubernetes.io/role/elb" = 1
  }
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "20.8.5"

  cluster_name    = "${local.name}-euw2"
  cluster_version = var.cluster_version
  vpc_id          = module.vpc.vpc_id
  subnet_ids      = module.vpc.private_subnets

  cluster_endpoint_public_access = false
  enable_irsa                    = true

  eks_managed_node_groups = {
    general = {
      instance_types = var.node_instance_types
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_desired_size
    }
  }
}

# The dev cluster shares the non-prod VPC; dev's own resources live in infra/dev.
module "eks_dev" {
  source  = "terraform-aws-modules/eks/aws"
  version = "20.8.5"

  cluster_name    = "acme-dev-euw2"
  cluster_version = var.cluster_version
  vpc_id          = module.vpc.vpc_id
  subnet_ids      = module.vpc.private_subnets

  cluster_endpoint_public_access = false

  eks_managed_node_groups = {
    general = {
      instance_types = var.dev_node_instance_types
      capacity_type  = "SPOT"
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }
  }
}

resource "aws_security_group" "core_db" {
  name        = "${local.name}-core-db"
  description = "PostgreSQL from the private (cluster) subnets only"
  vpc_id      = module.vpc.vpc_id

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = var.private_subnets
  }
}

resource "aws_db_instance" "core" {
  identifier     = "${local.name}-core"
  engine         = "postgres"
  engine_version = "16.3"
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_allocated_storage_gb * 4
  storage_encrypted     = true

  db_name  = "payments"
  username = "core_admin"
  # the master password is generated and rotated by RDS in Secrets Manager; it never appears here
  manage_master_user_password = true

  multi_az                = var.db_multi_az
  db_subnet_group_name    = module.vpc.database_subnet_group_name
  vpc_security_group_ids  = [aws_security_group.core_db.id]
  backup_retention_period = var.db_backup_retention_days
  deletion_protection     = false
  skip_final_snapshot     = true

  performance_insights_enabled = true
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
  bucket = "${local.name}-ledger-exports"
}

resource "aws_s3_bucket_versioning" "ledger_exports" {
  bucket = aws_s3_bucket.ledger_exports.id
  versioning_configuration {
    status = "Enabled"
  }
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

resource "aws_route53_zone" "internal" {
  name = "${var.environment}.acme.internal"
  vpc {
    vpc_id = module.vpc.vpc_id
  }
}

resource "aws_route53_record" "core_db" {
  zone_id = aws_route53_zone.internal.zone_id
  name    = "core-db"
  type    = "CNAME"
  ttl     = 60
  records = [aws_db_instance.core.address]
}

output "cluster_name" {
  value = module.eks.cluster_name
}

output "core_db_host" {
  value = aws_route53_record.core_db.fqdn
}

output "ledger_events_queue_url" {
  value = aws_sqs_queue.ledger_events.url
}
