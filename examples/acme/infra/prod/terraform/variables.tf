variable "environment" {
  type        = string
  description = "Environment name, used in resource names and tags."
}

variable "region" {
  type    = string
  default = "eu-west-2"
}

variable "vpc_cidr" {
  type = string
}

variable "azs" {
  type = list(string)
}

variable "private_subnets" {
  type = list(string)
}

variable "public_subnets" {
  type = list(string)
}

variable "database_subnets" {
  type = list(string)
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway instead of one per AZ: cheaper, but an AZ outage cuts egress."
}

variable "cluster_version" {
  type = string
}

variable "node_instance_types" {
  type = list(string)
}

variable "node_min_size" {
  type = number
}

variable "node_max_size" {
  type = number
}

variable "node_desired_size" {
  type = number
}

variable "db_instance_class" {
  type = string
}

variable "db_allocated_storage_gb" {
  type = number
}

variable "db_multi_az" {
  type = bool
}

variable "db_backup_retention_days" {
  type = number
}

variable "queue_retention_seconds" {
  type        = number
  description = "How long an unconsumed ledger event stays on the queue."
}

variable "ledger_export_retention_days" {
  type = number
}
