"""Where data may reside: regions, FIPS endpoints, residency zones."""
