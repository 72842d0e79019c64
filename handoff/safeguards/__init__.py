"""What protects customers and the service: login throttling, rate limits, erasure of personal data."""
