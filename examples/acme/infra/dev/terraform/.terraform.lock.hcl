# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.46.0"
  constraints = "~> 5.46"
  hashes = [
    "h1:DtHK7e+6aJUAU1ZLWufMIW1AxulJ3EdYhJ7Cd3/maP4=",
    "zh:1c8918663ab88765d8b27ee5b8064ba061cafe13805744187fd54538c8bd2fa9",
    "zh:bf4791131454086edd71fd3de1fcd5549b8024d5973add5d60194e53ae601dd8",
    "zh:0f831c7ae3f9c5270397b859d290a27933ca59daf60a3128f30db3654142715f",
  ]
}
