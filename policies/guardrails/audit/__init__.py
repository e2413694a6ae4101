"""Audit: control-plane logs, flow logs, VPN tunnel logs, log retention."""
