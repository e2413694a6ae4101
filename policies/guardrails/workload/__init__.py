"""Workload hardening for Kubernetes workloads, Docker containers, node pools and images."""
