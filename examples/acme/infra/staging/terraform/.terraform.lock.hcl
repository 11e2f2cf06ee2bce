# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.46.0"
  constraints = ">= 4.33.0, >= 5.40.0, ~> 5.46"
  hashes = [
    "h1:DtHK7e+6aJUAU1ZLWufMIW1AxulJ3EdYhJ7Cd3/maP4=",
    "zh:1c8918663ab88765d8b27ee5b8064ba061cafe13805744187fd54538c8bd2fa9",
    "zh:bf4791131454086edd71fd3de1fcd5549b8024d5973add5d60194e53ae601dd8",
    "zh:0f831c7ae3f9c5270397b859d290a27933ca59daf60a3128f30db3654142715f",
  ]
}

provider "registry.terraform.io/hashicorp/cloudinit" {
  version     = "2.3.4"
  constraints = ">= 2.0.0"
  hashes = [
    "h1:XTiTs9SdO/fKuGkPaPz8sksFLHQuTKI+GdE9l7iO3/E=",
    "zh:f49684b84554003f6ec95900dcbc2683dd43951166701b3c6fd084c3f12742c1",
    "zh:e7c8d3f1d204ff67cbeb5be50560e10158cb23479c9f0ca3c264564611badab4",
    "zh:f7fbf328a8018de68d125647138356acc63177873c94cb0eb08acb1f2fad4f65",
  ]
}

provider "registry.terraform.io/hashicorp/null" {
  version     = "3.2.2"
  constraints = ">= 3.0.0"
  hashes = [
    "h1:/DV03HWWSW3MvnM2N6Byte4EVr1Tl/Z4KRapv9yStaI=",
    "zh:17f69528b5de87103e33b647af09023933a6a2b539b8eb8845c90967c649323e",
    "zh:6acbd451f6b472fcb8ff2e8a89a9eeae6a8fe6ea718e01f6790627fe5a3ac23c",
    "zh:b267441f4121a9bb86de5f1a30b8e76feee042a0ba1663513e007d7f5afd907f",
  ]
}

provider "registry.terraform.io/hashicorp/time" {
  version     = "0.11.1"
  constraints = ">= 0.9.0"
  hashes = [
    "h1:UqczPLK7Mlw0N0iXco7b6wI2ZgUIORkATNY5l4qTWhA=",
    "zh:9f35a5294fa7bf7f752e60535cc42452ef713653f503c35c1e38825571563efe",
    "zh:eddbaf462cc198f04456014328802d3522cd0963b9114a40d25a8d71aceed094",
    "zh:b9b5b94521ed906beb89636c3a686bcc5deac9c0dd64ccb321cbc63e461e8e47",
  ]
}

provider "registry.terraform.io/hashicorp/tls" {
  version     = "4.0.5"
  constraints = ">= 3.0.0"
  hashes = [
    "h1:3EiHWlH7690jMyMPw2JyyTV3BJe/rdivzUYEY3rDMUI=",
    "zh:a3fc949fe56fb7db7cfa9e680ea2a57b1006621ea93804277a47c4535c32b990",
    "zh:9a90f598b59004ffc654965bdd84abad5eae5cc1ebbb7b566cb70c35f3650d0c",
    "zh:99f5e5ce4c58e926e0a89746c7d835da4968fcb421adb7319923f1b771fdd74a",
  ]
}
