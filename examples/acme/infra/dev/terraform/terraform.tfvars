environment                  = "dev"
region                       = "eu-west-2"
queue_retention_seconds      = 86400
ledger_export_retention_days = 7
