# Cloud resources of the churn model: DVC/data bucket, image registry and
# the alarm on the serving API. Cluster resources live in k8s/.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "ml/churn-model.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "alerts_topic_arn" {
  type        = string
  description = "SNS topic that pages the ML on-call rotation"
}

resource "aws_s3_bucket" "ml_store" {
  bucket = "acme-ml-churn"
}

resource "aws_s3_bucket_versioning" "ml_store" {
  bucket = aws_s3_bucket.ml_store.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "prediction_logs" {
  bucket = aws_s3_bucket.ml_store.id
  rule {
    id     = "expire-prediction-logs"
    status = "Enabled"
    filter {
      prefix = "prediction-logs/"
    }
    expiration {
      days = 400
    }
  }
}

resource "aws_ecr_repository" "churn_model" {
  name                 = "churn-model"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "churn-api-5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [var.alerts_topic_arn]
}
