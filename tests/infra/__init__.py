"""Infrastructure checks: Bicep syntax, checkov, code <-> infra cross-checks, ARM template."""
