"""Exposure: private endpoints, no open ingress, no public buckets or IPs, authenticated endpoints."""
