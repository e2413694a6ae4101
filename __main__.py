"""Pulumi entry point: load and validate config, build the chosen deployment model, export."""

import pulumi

from components.config import load_config
from components.deployments import deploy

config = load_config()
for key, value in deploy(config).items():
    pulumi.export(key, value)
