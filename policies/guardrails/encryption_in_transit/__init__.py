"""Encryption in transit: TLS listeners, TLS-only buckets, strong VPN crypto, no plaintext registries."""
