terraform {
  required_version = ">= 1.7.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.46"
    }
  }

  backend "s3" {
    bucket         = "acme-terraform-state"
    key            = "staging/platform.tfstate"
    region         = "eu-west-2"
    dynamodb_table = "acme-terraform-locks"
    encrypt        = true
  }
}
