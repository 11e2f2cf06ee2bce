environment = "prod"
region      = "eu-west-2"

vpc_cidr         = "10.10.0.0/16"
azs              = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
private_subnets  = ["10.10.0.0/22", "10.10.4.0/22", "10.10.8.0/22"]
public_subnets   = ["10.10.12.0/24", "10.10.13.0/24", "10.10.14.0/24"]
database_subnets = ["10.10.20.0/24", "10.10.21.0/24", "10.10.22.0/24"]

single_nat_gateway = false

cluster_version     = "1.29"
node_instance_types = ["m6i.xlarge"]
node_min_size       = 3
node_max_size       = 9
node_desired_size   = 4

db_instance_class        = "db.r6g.large"
db_allocated_storage_gb  = 200
db_multi_az              = true
db_backup_retention_days = 35

queue_retention_seconds      = 1209600
ledger_export_retention_days = 2555
