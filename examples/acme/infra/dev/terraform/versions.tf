terraform {
  required_version = ">= 1.7.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.46"
    }
  }

  # dev keeps its state on disk beside this file: the stack is small and throwaway, and the
  # Cairn item infra-dev backs it up instead of an S3 backend.
  backend "local" {
    path = "terraform.tfstate"
  }
}
