environment = "staging"
region      = "eu-west-2"

vpc_cidr         = "10.20.0.0/16"
azs              = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
private_subnets  = ["10.20.0.0/22", "10.20.4.0/22", "10.20.8.0/22"]
public_subnets   = ["10.20.12.0/24", "10.20.13.0/24", "10.20.14.0/24"]
database_subnets = ["10.20.20.0/24", "10.20.21.0/24", "10.20.22.0/24"]

single_nat_gateway = true

cluster_version     = "1.29"
node_instance_types = ["t3.large"]
node_min_size       = 2
node_max_size       = 4
node_desired_size   = 2

dev_node_instance_types = ["t3.medium"]

db_instance_class        = "db.t4g.medium"
db_allocated_storage_gb  = 50
db_multi_az              = false
db_backup_retention_days = 7

queue_retention_seconds      = 345600
ledger_export_retention_days = 90
