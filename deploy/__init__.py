"""Admin tooling that builds and ships the deployment; never part of the Lambda package."""
